import assert from 'node:assert/strict';
import type { Key } from '@noble/curves/abstract/frost.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { DkgParameters, WalletRegisteredEvent } from '../../src/chain/types.js';
import { xOnly } from '../../src/crypto/frost-dkg.js';
import { EXCLUSION_REASONS, type ExclusionReason } from '../../src/dkg/exclusions.js';
import type { Behaviour } from './byzantine.js';
import { startCluster } from './cluster.js';
import { frostSign } from './frost.js';
import { eventually } from './wait.js';

/** Who the attack is aimed at, known once the DKG's group is chosen. */
export interface Scene {
  /** The attacker's operator address. */
  attacker: string;
  /** One honest operator of the group (the first one by seat). */
  victim: string;
  /** The honest operators of the group, in order of their first seat. */
  honest: string[];
}

export interface AttackOptions {
  readonly stakes: bigint[];
  readonly dkg: Pick<DkgParameters, 'groupSize' | 'groupQuorum' | 'honestThreshold'>;
  /** Index in `stakes` of the byzantine operator. */
  readonly attacker: number;
  /** How many seats the attacker holds (the DKG's seed is chosen for it). */
  readonly attackerSeats: number;
  /** Whether the attack must cost the attacker its seats (else: nobody is excluded). */
  readonly excluded: boolean;
  /** The reason every honest node must count the attacker's seats under, when excluded. */
  readonly reason?: ExclusionReason;
  readonly blockIntervalMs?: number;
  readonly behaviour: (scene: Scene) => Behaviour;
}

/**
 * Runs one wallet DKG with one byzantine operator on a cluster and asserts what every attack
 * test asserts: a wallet registers; every honest node holds its key and the same qualified
 * seats; the excluded seats are exactly the attacker's (or none); the registered key signs;
 * the DKG metrics show success on every honest node and failure on an excluded attacker.
 */
export async function runAttack(options: AttackOptions): Promise<{
  wallet: WalletRegisteredEvent;
  group: string[];
  scene: Scene;
}> {
  const scene: Scene = { attacker: '', victim: '', honest: [] };
  let behaviour: Behaviour | undefined;
  const cluster = startCluster({
    stakes: options.stakes,
    dkg: options.dkg,
    blockIntervalMs: options.blockIntervalMs,
    byzantine: { [options.attacker]: (message) => behaviour?.(message) },
  });
  try {
    const attackerNode = cluster.nodes[options.attacker]!;
    scene.attacker = attackerNode.key.address;
    const group = await cluster.chooseSeed(
      (g) =>
        g.filter((op) => op === scene.attacker).length === options.attackerSeats &&
        cluster.nodes.every((node) => g.includes(node.key.address)),
    );
    scene.honest = [...new Set(group)].filter((op) => op !== scene.attacker);
    scene.victim = scene.honest[0]!;
    behaviour = options.behaviour(scene);

    const registered = cluster.registered();
    await cluster.chain.connect(scene.attacker).walletRegistry.requestNewWallet();
    const wallet = await registered;

    const seats = group.map((_, i) => i + 1);
    const attackerSeats = seats.filter((seat) => group[seat - 1] === scene.attacker);
    const qualified = options.excluded ? seats.filter((seat) => !attackerSeats.includes(seat)) : seats;
    assert.deepEqual(
      wallet.members.map((m) => m.index),
      qualified,
      'the registered wallet leaves out exactly the attacker’s seats',
    );
    const honestNodes = cluster.nodes.filter((node) => node !== attackerNode);
    const keys = new Map<number, Key>();
    for (const node of honestNodes) {
      await eventually(
        () => node.metrics.value('performance_dkg_duration_seconds_count', { outcome: 'success' }),
        (v) => v === 1,
        10_000,
        'DKG success on every honest node',
      );
      assert.equal(await node.metrics.value('performance_dkg_failed_total'), 0);
      assert.equal(node.wallets.length, 1, 'one wallet saved');
      const saved = node.wallets[0]!;
      assert.equal(bytesToHex(saved.groupPublicKey), bytesToHex(wallet.groupPublicKey), 'one group key');
      assert.deepEqual(saved.qualifiedSeats, qualified, 'the same qualified seats');
      for (const [seat, key] of saved.keys) keys.set(seat, key);
      const counted = await Promise.all(
        EXCLUSION_REASONS.map((reason) =>
          node.metrics.value('performance_dkg_members_excluded_total', { reason }),
        ),
      );
      const excludedSeats = options.excluded ? attackerSeats.length : 0;
      assert.equal(
        counted.reduce((a, b) => a + b, 0),
        excludedSeats,
        'excluded seats counted once',
      );
      if (options.reason) {
        assert.equal(
          counted[EXCLUSION_REASONS.indexOf(options.reason)],
          excludedSeats,
          `excluded seats counted as ${options.reason}`,
        );
      }
    }
    if (options.excluded) {
      await eventually(
        () => attackerNode.metrics.value('performance_dkg_failed_total'),
        (v) => v === 1,
        10_000,
        'the attacker’s own DKG failed',
      );
    }
    const signers = [...keys.keys()].sort((a, b) => a - b).slice(0, options.dkg.honestThreshold);
    const message = new TextEncoder().encode('signed by the honest seats');
    const signature = frostSign(
      signers.map((seat) => keys.get(seat)!),
      message,
    );
    assert.equal(schnorr.verify(signature, message, xOnly(wallet.groupPublicKey)), true);
    return { wallet, group, scene };
  } finally {
    cluster.stop();
  }
}
