// Starts and stops a real `foley serve` on loopback for the browser tests.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class FoleyServer {
  constructor({ foley, model, webRoot, dataDir, logFile, extraArgs = [] }) {
    Object.assign(this, { foley, model, webRoot, dataDir, logFile, extraArgs });
    this.child = null;
    this.port = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    // A restart keeps its port, so pages opened before it keep working.
    if (!this.port) this.port = await freePort();
    const args = ['serve', '--model', this.model, '--data-dir', this.dataDir, '--web-root', this.webRoot,
      '--host', '127.0.0.1', '--port', String(this.port), '--shutdown-grace', '2', ...this.extraArgs];
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`\n--- ${new Date().toISOString()} foley ${args.join(' ')}\n`);
    this.child = spawn(this.foley, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.pipe(log, { end: false });
    this.child.stderr.pipe(log, { end: false });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`foley serve exited early (code ${this.child.exitCode}); see ${this.logFile}`);
      try {
        const response = await fetch(`${this.url}/readyz`);
        if (response.status === 200) return this;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`foley serve was not ready within 60 s; see ${this.logFile}`);
  }

  async stop(signal = 'SIGTERM') {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function runCli(foley, args, input) {
  const result = spawnSync(foley, args, { input, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
