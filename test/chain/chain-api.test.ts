import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blockCounterApi,
  operatorRegistryApi,
  randomBeaconApi,
  walletRegistryApi,
} from '../../src/chain/api/chain-api.js';
import { LocalChain } from '../../src/chain/local/local-chain.js';
import { RpcCode } from '../../src/chain/rpc/protocol.js';
import { remoteMethods } from '../../src/chain/rpc/remote-methods.js';
import { ChainRpcError } from '../../src/chain/rpc/rpc-connection.js';
import { chainMethods, InvalidParamsError } from '../../src/chain/rpc/server-methods.js';
import { FLOW_DKG } from '../helpers/chain-flows.js';

test('a remote method sends its arguments under the names the table gives them, on its RPC name', async () => {
  const sent: [string, Record<string, unknown>][] = [];
  const beacon = remoteMethods(randomBeaconApi, async (rpcName, params) => {
    sent.push([rpcName, params]);
    return null;
  });
  const entry = new Uint8Array([1, 2, 3]);
  assert.equal(await beacon.submitRelayEntry(7, entry), undefined);
  assert.equal(await beacon.currentRelayRequest(), undefined, 'null on the wire is "no request"');
  await beacon.notifyDkgTimeout();
  assert.deepEqual(sent, [
    ['submitRelayEntry', { requestId: 7, entry }],
    ['currentRelayRequest', {}],
    ['beaconNotifyDkgTimeout', {}],
  ]);
});

test('a remote method rejects an answer that does not have the declared shape', async () => {
  const registry = remoteMethods(walletRegistryApi, async () => ({ groupSize: 'three' }));
  await assert.rejects(registry.dkgParameters(), (err: unknown) => {
    assert.ok(err instanceof ChainRpcError);
    assert.equal(err.code, RpcCode.parseError);
    assert.match(err.message, /malformed answer to dkgParameters: groupSize/);
    return true;
  });
  const blocks = remoteMethods(blockCounterApi, async () => 12.5);
  await assert.rejects(blocks.currentBlock(), ChainRpcError);
});

test('the server serves every method of every table, under its RPC name, on the chain of the caller', async (t) => {
  const chain = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG });
  t.after(() => chain.close());
  const tables = [blockCounterApi, operatorRegistryApi, walletRegistryApi, randomBeaconApi];
  const rpcNames = tables.flatMap((table) =>
    Object.values(table).flatMap((definition) => (definition.kind === 'method' ? [definition.rpcName] : [])),
  );
  assert.deepEqual([...chainMethods.keys()].sort(), [...rpcNames].sort());
  const operator = chain.connect(`0x${'ab'.repeat(20)}`);
  const serve = (rpcName: string, params?: unknown) => {
    const run = chainMethods.get(rpcName);
    assert.ok(run, rpcName);
    return run(operator, params);
  };
  assert.equal(await serve('beaconDkgState'), 'idle');
  assert.equal(await serve('currentRelayRequest'), undefined);
  assert.deepEqual(await serve('operators'), []);
  await assert.rejects(
    serve('inactivityClaimNonce', { walletId: 'ff'.repeat(32) }),
    /no wallet ff+ is registered/,
  );
  await assert.rejects(serve('submitRelayEntry', { requestId: 'one', entry: new Uint8Array(48) }), (err) => {
    assert.ok(err instanceof InvalidParamsError);
    assert.match(err.message, /^invalid params: requestId: /);
    return true;
  });
  await assert.rejects(serve('blockHash'), InvalidParamsError);
});
