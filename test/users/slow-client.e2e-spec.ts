import { connect, type AddressInfo } from 'node:net';
import { startUsersApp, type UsersApp } from './support/users-app';

// Generous: this bounds a hang (Node's own limits are 60 s for headers and 300 s for a request).
const CLOSED_WITHIN_MS = 5000;

describe('users app and a client that never finishes its request (REQUEST_TIMEOUT)', () => {
  let users: UsersApp;

  beforeAll(async () => {
    users = await startUsersApp({ REQUEST_TIMEOUT: '500ms' });
    await new Promise<void>((resolve) => users.server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => users?.close());

  /** Sends `start` and nothing more; resolves with what came back once the server closed. */
  function stall(start: string): Promise<string> {
    const { port } = users.server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(start));
      let answer = '';
      const hang = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the socket was still open after ${CLOSED_WITHIN_MS} ms`));
      }, CLOSED_WITHIN_MS);
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        clearTimeout(hang);
        resolve(answer);
      });
    });
  }

  it('answers a body that stops halfway with a 408 and closes the socket', async () => {
    const answer = await stall(
      'POST /users HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{"name":',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers headers that never end with a 408 and closes the socket', async () => {
    const answer = await stall('GET /users HTTP/1.1\r\nHost: app\r\nX-Slow: ');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});
