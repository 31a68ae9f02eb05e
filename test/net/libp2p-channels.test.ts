import { channelBehaviour } from './channel-behaviour.js';
import { libp2pNetwork } from './harness.js';

channelBehaviour('libp2p (in-process, loopback TCP)', libp2pNetwork);
