import { Button } from '@/components/ui/button';
import { FormError, Input } from '@/components/ui/field';
import { fieldErrors } from '@/lib/api-client';
import { useRegister } from '../api/register';
import { useFormFields } from './use-form-fields';
import { validateEmail, validatePassword, validateUsername } from './validation';

const validators = {
  username: validateUsername,
  email: validateEmail,
  password: validatePassword,
  confirm: (v, values) => (v !== values.password ? 'The passwords do not match.' : null),
};

export function RegisterForm({ onSuccess }) {
  const form = useFormFields({ username: '', email: '', password: '', confirm: '' }, validators);
  const register = useRegister({
    onSuccess,
    onError: (error) => form.setServerErrors(fieldErrors(error)),
  });

  const submit = (event) => {
    event.preventDefault();
    form.setSubmitted(true);
    if (!form.isValid) return;
    const { username, email, password } = form.values;
    register.mutate({ username: username.trim(), email: email.trim(), password });
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <FormError error={register.error} fields={['username', 'email', 'password']} />
      <Input
        label="Username"
        autoComplete="username"
        hint="3–64 characters: letters, digits, _ . -"
        autoFocus
        {...form.bind('username')}
      />
      <Input label="University email" type="email" autoComplete="email" {...form.bind('email')} />
      <Input
        label="Password"
        type="password"
        autoComplete="new-password"
        hint="At least 8 characters."
        {...form.bind('password')}
      />
      <Input
        label="Repeat password"
        type="password"
        autoComplete="new-password"
        {...form.bind('confirm')}
      />
      <Button type="submit" size="lg" className="w-full" loading={register.isPending}>
        Create account
      </Button>
    </form>
  );
}
