import { bytesToHex } from '@noble/hashes/utils.js';
import type { Recorder } from '../clientinfo/recorder.js';
import { BLS_DKG_SCHEME, type BlsKeyShare } from '../crypto/bls-dkg.js';
import { DkgExecutor, type DkgExecutorOptions } from '../dkg/dkg-executor.js';
import { type GroupKeyStore, KeyCustody } from '../dkg/key-custody.js';
import { type BeaconGroupKeys, RelayExecutor } from './relay-executor.js';

export interface BeaconOptions
  extends Pick<
    DkgExecutorOptions<BlsKeyShare>,
    'chain' | 'provider' | 'key' | 'log' | 'timing' | 'approvalDelayStepBlocks'
  > {
  /** The relay entry and key custody metrics (beacon DKGs are not counted in the DKG metrics). */
  readonly recorder: Recorder;
  /** Groups loaded from the beacon keystore. */
  readonly groups?: readonly BeaconGroupKeys[];
  /** The beacon keystore: a new group's shares, pending from the DKG outcome until registered. */
  readonly store?: GroupKeyStore<BlsKeyShare>;
  /** Fault injection for tests (see RelayExecutorOptions). */
  readonly tamperShare?: (seat: number, share: Uint8Array) => Uint8Array;
}

export const beaconDkgChannelName = (seed: Uint8Array) => `beacon-dkg-${bytesToHex(seed)}`;

/**
 * The node's random beacon: the beacon group DKG (the wallet DKG's executor and phase
 * machinery with the BLS12-381 scheme, on the beacon's registry and `beacon-dkg-<seed>`
 * channels) and the relay executor, which gets every group the node holds seats of.
 * The beacon DKG records no `performance_dkg_*` metrics (no DKG metrics hook is passed):
 * those count wallet DKGs.
 */
export class Beacon {
  readonly groups: BeaconGroupKeys[];
  readonly relay: RelayExecutor;
  readonly dkg: DkgExecutor<BlsKeyShare>;
  readonly custody: KeyCustody<BlsKeyShare>;
  private readonly log: BeaconOptions['log'];

  constructor(options: BeaconOptions) {
    const log = options.log.child({ module: 'beacon' });
    this.log = log;
    this.groups = [...(options.groups ?? [])];
    this.relay = new RelayExecutor({
      chain: options.chain,
      provider: options.provider,
      key: options.key,
      recorder: options.recorder,
      log,
      tamperShare: options.tamperShare,
    });
    for (const group of this.groups) this.relay.addGroup(group);
    const beacon = options.chain.randomBeacon;
    this.custody = new KeyCustody<BlsKeyShare>({
      kind: 'beacon',
      operator: options.key.address,
      registry: beacon,
      registeredGroups: () => beacon.groups(),
      onGroupRegistered: (listener) => beacon.onGroupRegistered(listener),
      store: options.store,
      held: this.groups,
      activated: (group, path) => {
        this.groups.push(group);
        this.relay.addGroup(group);
        log.info(
          { path, seats: [...group.keys.keys()] },
          'beacon group registered; its key shares are active',
        );
      },
      recorder: options.recorder,
      log,
    });
    this.dkg = new DkgExecutor<BlsKeyShare>({
      chain: options.chain,
      provider: options.provider,
      key: options.key,
      log,
      timing: options.timing,
      approvalDelayStepBlocks: options.approvalDelayStepBlocks,
      registry: options.chain.randomBeacon,
      scheme: BLS_DKG_SCHEME,
      channelName: beaconDkgChannelName,
      saveGroup: this.custody.save,
    });
  }

  start(): void {
    this.relay.start();
    void this.custody
      .start()
      .catch((err) => this.log.error({ err: (err as Error).message }, 'beacon key custody failed to start'));
    this.dkg.start();
  }

  stop(): void {
    this.custody.stop();
    this.dkg.stop();
    this.relay.stop();
  }
}
