import net from 'node:net';

/**
 * A port that was free a moment ago: bind port 0 on the loopback, read the port the kernel chose, close.
 * There is a small window before the caller binds it; on a test or bench machine nothing else races for it. For tests,
 * benchmarks and child processes started on loopback ports (the gateway's own servers bind port 0 and read it back).
 * Node only, so imported by its path and kept out of the package's index, which also runs in the browser.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}
