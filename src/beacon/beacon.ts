import { bytesToHex } from '@noble/hashes/utils.js';
import { noopRecorder } from '../clientinfo/recorder.js';
import { BLS_DKG_SCHEME, type BlsKeyShare } from '../crypto/bls-dkg.js';
import { DkgExecutor, type DkgExecutorOptions } from '../tbtc/dkg/dkg-executor.js';
import { type BeaconGroupKeys, RelayExecutor } from './relay-executor.js';

export interface BeaconOptions
  extends Pick<
    DkgExecutorOptions<BlsKeyShare>,
    'chain' | 'provider' | 'key' | 'recorder' | 'log' | 'timing' | 'approvalDelayStepBlocks'
  > {
  /** Groups loaded from the beacon keystore. */
  readonly groups?: readonly BeaconGroupKeys[];
  /** Persists a new group's key shares before its DKG result is published. */
  readonly saveGroup?: (group: BeaconGroupKeys) => Promise<string | undefined>;
  /** Fault injection for tests (see RelayExecutorOptions). */
  readonly tamperShare?: (seat: number, share: Uint8Array) => Uint8Array;
}

export const beaconDkgChannelName = (seed: Uint8Array) => `beacon-dkg-${bytesToHex(seed)}`;

/**
 * The node's random beacon: the beacon group DKG (the wallet DKG's executor and phase
 * machinery with the BLS12-381 scheme, on the beacon's registry and `beacon-dkg-<seed>`
 * channels) and the relay executor, which gets every group the node holds seats of.
 * The beacon DKG records no `performance_dkg_*` metrics: those count wallet DKGs.
 */
export class Beacon {
  readonly groups: BeaconGroupKeys[];
  readonly relay: RelayExecutor;
  readonly dkg: DkgExecutor<BlsKeyShare>;

  constructor(options: BeaconOptions) {
    const log = options.log.child({ module: 'beacon' });
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
    this.dkg = new DkgExecutor<BlsKeyShare>({
      chain: options.chain,
      provider: options.provider,
      key: options.key,
      recorder: noopRecorder,
      log,
      timing: options.timing,
      approvalDelayStepBlocks: options.approvalDelayStepBlocks,
      registry: options.chain.randomBeacon,
      scheme: BLS_DKG_SCHEME,
      channelName: beaconDkgChannelName,
      saveWallet: async (group) => {
        const path = await options.saveGroup?.(group);
        this.groups.push(group);
        this.relay.addGroup(group);
        log.info({ path, seats: [...group.keys.keys()] }, 'stored beacon group key shares');
      },
    });
  }

  start(): void {
    this.relay.start();
    this.dkg.start();
  }

  stop(): void {
    this.dkg.stop();
    this.relay.stop();
  }
}
