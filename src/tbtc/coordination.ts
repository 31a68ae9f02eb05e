import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { Address, BlockCounter } from '../chain/types.js';
import { WALLET_ACTIONS, type WalletAction } from './wallet-actions.js';
import { type Recorder, stopwatch } from '../clientinfo/recorder.js';
import { xOnly } from '../crypto/frost-dkg.js';
import { walletIdOf } from '../crypto/wallet-id.js';
import type { Logger } from '../log.js';
import { hexString, jsonCodec } from '../net/json-codec.js';
import { receive } from '../net/typed-messages.js';
import type { BroadcastChannel } from '../net/types.js';
import type { WalletKeys } from './wallet-keys.js';
import { heartbeatMessage } from './heartbeat.js';

export interface CoordinationParameters {
  /** A window opens on every block that is a multiple of this (production: 900). */
  readonly frequencyBlocks: number;
  /** Leader and followers exchange proposals during this many blocks (production: 80). */
  readonly activeBlocks: number;
  /** The seed uses the hash of the block this far before the window (production: 32). */
  readonly safeShiftBlocks: number;
  /** Chance that a window's checklist includes a heartbeat (production: 0.0625). */
  readonly heartbeatProbability: number;
}

export type Proposal =
  | { readonly action: 'noop' }
  | { readonly action: 'heartbeat'; readonly message: Uint8Array; readonly proposalBlock: number };

export interface CoordinationOutcome {
  readonly window: number;
  readonly leader: Address;
  readonly proposal: Proposal;
  /** Wallet actions start once the active phase is over, at the same block on every member. */
  readonly startBlock: number;
}

export class CoordinationBusyError extends Error {
  override name = 'CoordinationBusyError';
}
export class LeaderIdleError extends Error {
  override name = 'LeaderIdleError';
}

const ACTION_NAMES = ['noop', ...WALLET_ACTIONS] as const;

const proposalSchema = z
  .object({
    window: z.number().int().min(0),
    wallet: z.string(),
    action: z.enum(ACTION_NAMES),
    message: hexString.optional(),
  })
  .strict();
type ProposalMessage = z.infer<typeof proposalSchema>;

export const coordinationCodec = jsonCodec('tbtc-coordination/proposal', proposalSchema);

/** keep-core's checklist: redemption always; every 4th window the sweeps and moving funds; sometimes a heartbeat. */
export function checklist(
  windowIndex: number,
  seed: Uint8Array,
  heartbeatProbability: number,
): WalletAction[] {
  const actions: WalletAction[] = ['redemption'];
  if (windowIndex % 4 === 0) actions.push('deposit_sweep', 'moved_funds_sweep', 'moving_funds');
  const draw = Number(new DataView(seed.buffer, seed.byteOffset, 8).getBigUint64(0) >> 11n) / 2 ** 53;
  if (draw < heartbeatProbability) actions.push('heartbeat');
  return actions;
}

/**
 * One wallet's coordination procedure in a window: every member derives the same leader from
 * the wallet and an earlier block's hash; the leader proposes one action of the window's
 * checklist, followers accept it only from the leader and only if allowed, and record leader
 * faults otherwise. One procedure at a time per wallet.
 */
export class CoordinationExecutor {
  private busy = false;
  private readonly walletId: string;

  constructor(
    private readonly options: {
      readonly wallet: WalletKeys;
      readonly me: Address;
      readonly channel: BroadcastChannel;
      readonly blocks: BlockCounter;
      readonly recorder: Recorder;
      readonly log: Logger;
      readonly parameters: CoordinationParameters;
      /** Fault injection for tests: what this node proposes when it leads. */
      readonly tamperProposal?: (proposal: ProposalMessage) => ProposalMessage;
    },
  ) {
    this.walletId = walletIdOf(options.wallet.groupPublicKey);
    options.channel.registerCodec(coordinationCodec);
  }

  async coordinate(window: number): Promise<CoordinationOutcome> {
    if (this.busy)
      throw new CoordinationBusyError(`wallet ${this.walletId.slice(0, 16)} is already coordinating`);
    this.busy = true;
    const { recorder } = this.options;
    recorder.inc('performance_coordination_procedures_executed_total');
    const elapsed = stopwatch();
    try {
      const outcome = await this.procedure(window);
      recorder.observe('performance_coordination_duration_seconds', elapsed(), { outcome: 'success' });
      return outcome;
    } catch (err) {
      recorder.inc('performance_coordination_failed_total');
      recorder.observe('performance_coordination_duration_seconds', elapsed(), { outcome: 'failure' });
      throw err;
    } finally {
      this.busy = false;
    }
  }

  private async procedure(window: number): Promise<CoordinationOutcome> {
    const { wallet, me, channel, blocks, recorder, log, parameters } = this.options;
    const seedBlock = Math.max(0, window - parameters.safeShiftBlocks);
    const seed = sha256(concatBytes(xOnly(wallet.groupPublicKey), await blocks.blockHash(seedBlock)));
    const operators = [...new Set(wallet.qualifiedSeats.map((seat) => wallet.group[seat - 1]!))];
    const rank = (operator: Address) => bytesToHex(sha256(concatBytes(seed, hexToBytes(operator.slice(2)))));
    const leader = operators.sort((a, b) => (rank(a) < rank(b) ? -1 : 1))[0]!;
    const allowed = new Set<string>([
      'noop',
      ...checklist(window / parameters.frequencyBlocks, seed, parameters.heartbeatProbability),
    ]);
    const end = window + parameters.activeBlocks;
    const result = (proposal: Proposal): CoordinationOutcome => ({
      window,
      leader,
      proposal,
      startBlock: end,
    });

    if (leader === me) {
      let proposal: ProposalMessage = allowed.has('heartbeat')
        ? {
            window,
            wallet: this.walletId,
            action: 'heartbeat',
            message: bytesToHex(heartbeatMessage(wallet.groupPublicKey, window)),
          }
        : { window, wallet: this.walletId, action: 'noop' };
      if (this.options.tamperProposal) proposal = this.options.tamperProposal(proposal);
      const until = new AbortController();
      void blocks
        .waitForBlock(end)
        .catch(() => undefined)
        .finally(() => until.abort());
      await channel.send(coordinationCodec, proposal, {
        retransmit: { until: until.signal, strategy: 'backoff' },
      });
      return result(toProposal(proposal));
    }

    return new Promise<CoordinationOutcome>((resolve, reject) => {
      const done = (settle: () => void) => {
        subscription.cancel();
        stopBlocks();
        settle();
      };
      const subscription = receive(
        channel,
        { proposal: coordinationCodec },
        (m) => {
          const proposal = m.payload;
          if (proposal.window !== window || proposal.wallet !== this.walletId || m.local) return;
          if (m.sender.operatorAddress !== leader) {
            recorder.inc('performance_coordination_leader_faults_total', { fault: 'leader_impersonation' });
            log.warn({ window, sender: m.sender.operatorAddress }, 'coordination proposal from a non-leader');
            return;
          }
          if (!allowed.has(proposal.action)) {
            recorder.inc('performance_coordination_leader_faults_total', { fault: 'leader_mistake' });
            log.warn(
              { window, action: proposal.action },
              'leader proposed an action outside the window checklist',
            );
            return;
          }
          done(() => resolve(result(toProposal(proposal))));
        },
        { name: `coordination-${window}` },
      );
      const stopBlocks = blocks.watchBlocks((height) => {
        if (height < end) return;
        recorder.inc('performance_coordination_leader_faults_total', { fault: 'leader_idleness' });
        done(() =>
          reject(new LeaderIdleError(`no valid proposal from leader ${leader} in window ${window}`)),
        );
      });
    });
  }
}

function toProposal(message: ProposalMessage): Proposal {
  if (message.action === 'heartbeat' && message.message) {
    return { action: 'heartbeat', message: hexToBytes(message.message), proposalBlock: message.window };
  }
  return { action: 'noop' };
}
