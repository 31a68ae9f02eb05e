import type { ChainEventName, ChainEvents } from '../events.js';
import type { Unsubscribe } from '../types.js';
import type { ContractApi, Subscribe, SubscriptionsOf } from './definition.js';

/** Where a chain's events come from: subscribes a listener to the events of one name. */
export type EventSource = <K extends ChainEventName>(
  name: K,
  listener: (event: ChainEvents[K]) => void,
) => Unsubscribe;

/** The `on…` members a table declares, each subscribing to its event at `source`. */
export function subscriptionsOf<Api extends ContractApi>(
  api: Api,
  source: EventSource,
): SubscriptionsOf<Api> {
  const members: { [member: string]: Subscribe<ChainEvents[ChainEventName]> } = {};
  for (const [member, definition] of Object.entries(api)) {
    if (definition.kind === 'event') members[member] = (listener) => source(definition.event, listener);
  }
  // Built from the same table the type is derived from: one `on…` per event definition.
  return members as SubscriptionsOf<Api>;
}
