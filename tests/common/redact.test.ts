import { describe, expect, it } from 'vitest';
import { redactMessage, redactUrl } from '../../main/common/redact';

describe('credentials in database and queue URLs', () => {
  it('masks the password and keeps the address', () => {
    expect(redactUrl('postgres://hps:s3cret@db.example:5432/hps')).toBe(
      'postgres://hps:***@db.example:5432/hps',
    );
    expect(redactUrl('redis://:p%40ss@queue:6379')).toBe('redis://:***@queue:6379');
    expect(redactUrl('postgres://db/hps?sslmode=require&password=x')).toBe(
      'postgres://db/hps?sslmode=require&password=***',
    );
    expect(redactUrl('postgres://hps@db/hps')).toBe('postgres://hps@db/hps');
    expect(redactUrl('not a url s3cret')).not.toContain('s3cret');
  });

  it('removes the URL and its bare password from an error message', () => {
    const url = 'postgres://hps:p%40ss@db/hps';
    const message = `connect ${url} failed; password "p@ss" rejected`;
    const redacted = redactMessage(message, [url, undefined]);
    expect(redacted).not.toContain('p@ss');
    expect(redacted).not.toContain('p%40ss');
    expect(redacted).toContain('postgres://hps:***@db/hps');
  });
});
