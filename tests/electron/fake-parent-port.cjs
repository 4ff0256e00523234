// Stands in for Electron's utilityProcess: gives host.cjs a process.parentPort backed by Node's fork IPC.
const { EventEmitter } = require('node:events');

const port = new EventEmitter();
port.postMessage = (message) => process.send(message);
process.parentPort = port;
process.on('message', (data) => port.emit('message', { data }));
process.on('disconnect', () => process.exit(0));
require(process.env.HOST_SCRIPT);
