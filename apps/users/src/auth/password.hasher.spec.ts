import { HashQueueFullException, PasswordHasher } from './password.hasher';

describe('PasswordHasher', () => {
  it('verifies the password it hashed, and no other', async () => {
    const hasher = new PasswordHasher({ passwordHashQueue: 4 });
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    await expect(hasher.verify('correct horse', hash)).resolves.toBe(true);
    await expect(hasher.verify('wrong horse', hash)).resolves.toBe(false);
    await expect(hasher.verify('correct horse', 'not a hash')).resolves.toBe(false);
  });

  it('refuses a hash at once while PASSWORD_HASH_QUEUE hashes run or wait, and takes one again after', async () => {
    const hasher = new PasswordHasher({ passwordHashQueue: 2 });
    const admitted = [hasher.hash('one'), hasher.hash('two')];
    // No scrypt callback can run before this line: the third is refused while both are pending.
    await expect(hasher.hash('three')).rejects.toBeInstanceOf(HashQueueFullException);
    await Promise.all(admitted);
    await expect(hasher.hash('four')).resolves.toMatch(/^scrypt\$/);
    await expect(Promise.all([hasher.hash('five'), hasher.hash('six')])).resolves.toHaveLength(2);
  });

  it('answers the refused hash as a 503 that asks to retry in a second', () => {
    const refused = new HashQueueFullException();
    expect(refused.getStatus()).toBe(503);
    expect(refused.getResponse()).toMatchObject({ retryAfter: 1 });
  });

  it('frees the slot of a hash whose parameters scrypt refuses', async () => {
    const hasher = new PasswordHasher({ passwordHashQueue: 1 });
    // N must be a power of two: scrypt throws before any work is queued.
    await expect(hasher.verify('x', 'scrypt$3$8$1$c2FsdA$a2V5')).rejects.toThrow();
    await expect(hasher.hash('next')).resolves.toMatch(/^scrypt\$/);
  });

  it('does not keep a refused dummy hash: the next call makes one', async () => {
    const hasher = new PasswordHasher({ passwordHashQueue: 1 });
    const busy = hasher.hash('busy');
    await expect(hasher.dummyHash()).rejects.toBeInstanceOf(HashQueueFullException);
    await busy;
    await expect(hasher.dummyHash()).resolves.toMatch(/^scrypt\$/);
  });
});
