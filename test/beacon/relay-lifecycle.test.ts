import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { RelayExecutor } from '../../src/beacon/relay-executor.js';
import { GENESIS_ENTRY } from '../../src/crypto/threshold-bls.js';
import type { Chain, RelayEntryRequestedEvent } from '../../src/chain/types.js';
import { noopRecorder } from '../../src/clientinfo/recorder.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import type { Provider } from '../../src/net/types.js';

const request: RelayEntryRequestedEvent = {
  requestId: 7,
  previousEntry: GENESIS_ENTRY,
  groupId: 0,
  groupPublicKey: new Uint8Array(96).fill(1), // a group this node holds no seats of
  blockNumber: 100,
};

/** Just the chain calls the relay executor makes; block watchers and parameters under test control. */
function stubChain(options: { pending?: RelayEntryRequestedEvent }) {
  const watchers = new Set<(height: number) => void>();
  const reported: number[] = [];
  let releaseParameters: () => void = () => {};
  const parameters = new Promise<void>((resolve) => {
    releaseParameters = resolve;
  });
  const requested = new Set<(event: RelayEntryRequestedEvent) => void>();
  const chain = {
    blocks: {
      watchBlocks(listener: (height: number) => void) {
        watchers.add(listener);
        return () => watchers.delete(listener);
      },
    },
    randomBeacon: {
      beaconParameters: async () => {
        await parameters;
        return { relayEntryTimeoutBlocks: 10, relayEntrySubmissionStepBlocks: 1 };
      },
      currentRelayRequest: async () => options.pending,
      reportRelayEntryTimeout: async (requestId: number) => {
        reported.push(requestId);
      },
      onRelayEntryRequested(listener: (event: RelayEntryRequestedEvent) => void) {
        requested.add(listener);
        return () => requested.delete(listener);
      },
      onRelayEntrySubmitted: () => () => {},
      onRelayEntryTimedOut: () => () => {},
    },
  } as unknown as Chain;
  const block = (height: number) => {
    for (const watcher of [...watchers]) watcher(height);
  };
  const emitRequest = (event: RelayEntryRequestedEvent) => {
    for (const listener of requested) listener(event);
  };
  return { chain, watchers, reported, releaseParameters, block, emitRequest };
}

function executor(chain: Chain) {
  return new RelayExecutor({
    chain,
    provider: {} as Provider,
    key: generateOperatorKey(),
    recorder: noopRecorder,
    log: pino({ level: 'silent' }),
  });
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a node stopped before the relay parameters arrive leaves no block watcher behind', async () => {
  const stub = stubChain({});
  const relay = executor(stub.chain);
  relay.start();
  stub.emitRequest(request);
  relay.stop();
  stub.releaseParameters();
  await settle();
  assert.equal(stub.watchers.size, 0);
});

test('a request pending when the node starts has its timeout watched and reported, once', async () => {
  const stub = stubChain({ pending: request });
  const relay = executor(stub.chain);
  relay.start();
  stub.releaseParameters();
  await settle();
  assert.equal(stub.watchers.size, 1, 'the pending request is watched');
  stub.emitRequest(request); // the same request seen as an event too
  await settle();
  assert.equal(stub.watchers.size, 1, 'and watched once');
  stub.block(request.blockNumber + 10);
  assert.deepEqual(stub.reported, [], 'not before the timeout');
  stub.block(request.blockNumber + 11);
  await settle();
  assert.deepEqual(stub.reported, [request.requestId]);
  assert.equal(stub.watchers.size, 0);
  relay.stop();
});
