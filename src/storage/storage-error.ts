/**
 * Key storage the node cannot use as it is (a directory it cannot write, a key-share file it
 * cannot open): one line naming the path, for the operator to fix; the node does not start.
 * Messages never carry decrypted bytes.
 */
export class StorageError extends Error {
  override name = 'StorageError';
}
