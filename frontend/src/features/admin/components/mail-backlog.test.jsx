import { render, screen } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { MailBacklog } from './mail-backlog';

describe('mail backlog', () => {
  test('shows waiting and failing mail with the last error', () => {
    render(
      <MailBacklog
        mail={{
          enabled: true,
          queued: 3,
          retrying: 2,
          given_up: 0,
          oldest_queued_at: new Date(Date.now() - 5 * 60_000).toISOString(),
          last_error: 'ConnectionRefusedError: [Errno 111] Connection refused',
        }}
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent(
      '3 mails waiting (oldest 5 min ago), 2 being retried.',
    );
    expect(screen.getByText(/Connection refused/)).toBeInTheDocument();
  });

  test('says when everything is sent or mail is off', () => {
    const { rerender } = render(
      <MailBacklog mail={{ enabled: true, queued: 0, retrying: 0, given_up: 0 }} />,
    );
    expect(screen.getByText('Every mail is sent.')).toBeInTheDocument();
    rerender(<MailBacklog mail={{ enabled: false }} />);
    expect(screen.getByText(/Email is off/)).toBeInTheDocument();
  });
});
