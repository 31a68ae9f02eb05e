import { channelBehaviour } from './channel-behaviour.js';
import { localNetwork } from './harness.js';

channelBehaviour('net/local', localNetwork);
