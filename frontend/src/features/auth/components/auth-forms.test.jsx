import { screen, waitFor } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api, tokens } from '@/lib/api-client';
import { apiError, routeApi } from '@/test/mock-api';
import { renderWithProviders } from '@/test/utils';
import { LoginForm } from './login-form';
import { RegisterForm } from './register-form';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const session = {
  access_token: 'a1',
  refresh_token: 'r1',
  user: { id: 3, username: 'bob', email: 'bob@uni.example', role: 'student' },
};

describe('register form', () => {
  test('validates as you type', async () => {
    const { user } = renderWithProviders(<RegisterForm />);
    await user.type(screen.getByLabelText('Username'), 'ab');
    expect(screen.getByText('Usernames have at least 3 characters.')).toBeInTheDocument();
    expect(screen.getByLabelText('Username')).toHaveAttribute('aria-invalid', 'true');
    await user.type(screen.getByLabelText('Username'), 'c!');
    expect(screen.getByText('Use only letters, digits, "_", "." and "-".')).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Username'));
    await user.type(screen.getByLabelText('Username'), 'abc');
    expect(screen.queryByText(/Usernames have|Use only/)).not.toBeInTheDocument();

    await user.type(screen.getByLabelText('University email'), 'bob@');
    expect(screen.getByText('That does not look like an email address.')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Password'), 'short');
    expect(screen.getByText('Passwords have at least 8 characters (3 more).')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Repeat password'), 'shorx');
    expect(screen.getByText('The passwords do not match.')).toBeInTheDocument();
  });

  test('does not call the API while the form is invalid', async () => {
    const { user } = renderWithProviders(<RegisterForm />);
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByText('Enter a username.')).toBeInTheDocument();
    expect(screen.getByText('Enter your email address.')).toBeInTheDocument();
    expect(api.post).not.toHaveBeenCalled();
  });

  test("shows the API's message and per-field details", async () => {
    routeApi(api, {
      'POST /auth/register': () => {
        throw apiError(409, 'conflict', 'That username is taken.', {
          username: ['Already registered.'],
        });
      },
    });
    const { user } = renderWithProviders(<RegisterForm />);
    await user.type(screen.getByLabelText('Username'), 'bob');
    await user.type(screen.getByLabelText('University email'), 'bob@uni.example');
    await user.type(screen.getByLabelText('Password'), 'long-enough');
    await user.type(screen.getByLabelText('Repeat password'), 'long-enough');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That username is taken.');
    expect(screen.getByText('Already registered.')).toBeInTheDocument();
    expect(api.post).toHaveBeenCalledWith(
      '/auth/register',
      { username: 'bob', email: 'bob@uni.example', password: 'long-enough' },
      expect.objectContaining({ _anonymous: true }),
    );
    // Editing the field clears its server error.
    await user.type(screen.getByLabelText('Username'), '2');
    expect(screen.queryByText('Already registered.')).not.toBeInTheDocument();
  });

  test('a successful registration stores the session', async () => {
    routeApi(api, { 'POST /auth/register': session });
    const onSuccess = vi.fn();
    const { user } = renderWithProviders(<RegisterForm onSuccess={onSuccess} />);
    await user.type(screen.getByLabelText('Username'), 'bob');
    await user.type(screen.getByLabelText('University email'), 'bob@uni.example');
    await user.type(screen.getByLabelText('Password'), 'long-enough');
    await user.type(screen.getByLabelText('Repeat password'), 'long-enough');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(onSuccess).toHaveBeenCalled());
    expect(tokens.access).toBe('a1');
    expect(tokens.refresh).toBe('r1');
    expect(tokens.user).toEqual(session.user);
  });
});

describe('login form', () => {
  test('requires both fields before calling the API', async () => {
    const { user } = renderWithProviders(<LoginForm />);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByText('Enter your username.')).toBeInTheDocument();
    expect(screen.getByText('Enter your password.')).toBeInTheDocument();
    expect(api.post).not.toHaveBeenCalled();
  });

  test('shows invalid credentials from the API', async () => {
    routeApi(api, {
      'POST /auth/login': () => {
        throw apiError(401, 'invalid_credentials', 'Wrong username or password.');
      },
    });
    const { user } = renderWithProviders(<LoginForm />);
    await user.type(screen.getByLabelText('Username'), 'bob');
    await user.type(screen.getByLabelText('Password'), 'nope-nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong username or password.');
    expect(tokens.access).toBeNull();
  });

  test('the password can be shown', async () => {
    const { user } = renderWithProviders(<LoginForm />);
    expect(screen.getByLabelText('Password')).toHaveAttribute('type', 'password');
    await user.click(screen.getByRole('button', { name: 'Show password' }));
    expect(screen.getByLabelText('Password')).toHaveAttribute('type', 'text');
  });
});
