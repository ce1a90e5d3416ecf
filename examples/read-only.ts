/**
 * The seed's read-only mode: a master sends to a slave, and ignores what the slave writes.
 * Run: node --import tsx examples/read-only.ts
 */
import { once } from 'node:events';
import { Model } from 'scuttlebutt-ts';

const master = new Model('master');
const slave = new Model('slave');
master.set('config', { retries: 3 });

const toSlave = master.createStream({ writable: false, sendClock: true });
const fromMaster = slave.createStream({ readable: false, sendClock: true });
toSlave.pipe(fromMaster).pipe(toSlave);
await once(fromMaster, 'sync');

slave.set('config', { retries: 99 }); // stays local: the master does not accept it
await new Promise((resolve) => setTimeout(resolve, 20));
console.log('master:', master.get('config'), 'slave:', slave.get('config'));

const updated = once(slave, 'change:config');
master.set('config', { retries: 5 });
await updated;
console.log('after a master write, slave:', slave.get('config'));
if ((master.get('config') as { retries: number }).retries !== 5 || (slave.get('config') as { retries: number }).retries !== 5) {
  process.exit(1);
}
