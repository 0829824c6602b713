import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { FormError, Input } from '@/components/ui/field';
import { toast } from '@/components/ui/toast';
import { fieldErrors } from '@/lib/api-client';
import { useSetUserPassword } from '../api/set-user-password';

/** "Password": an admin sets a new password for a user (their sessions end). */
export function SetPasswordButton({ user, className }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const save = useSetUserPassword({
    onSuccess: () => {
      toast.success(`New password set for ${user.username}.`);
      setOpen(false);
      setPassword('');
    },
  });
  const close = () => {
    setOpen(false);
    setPassword('');
    save.reset();
  };
  const formId = `set-password-${user.id}`;
  return (
    <>
      <Button
        size="sm"
        variant="secondary"
        className={className}
        onClick={() => setOpen(true)}
        aria-label={`Set password for ${user.username}`}
      >
        Password
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title={`Set a password for ${user.username}`}
        description="They are signed out everywhere and sign in with the new password."
        footer={
          <>
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" form={formId} loading={save.isPending}>
              Set password
            </Button>
          </>
        }
      >
        <form
          id={formId}
          noValidate
          className="space-y-3 text-left"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ userId: user.id, newPassword: password });
          }}
        >
          <FormError error={save.error} fields={['new_password']} />
          <Input
            label="New password"
            type="password"
            autoComplete="new-password"
            data-autofocus
            value={password}
            error={fieldErrors(save.error).new_password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </form>
      </Dialog>
    </>
  );
}
