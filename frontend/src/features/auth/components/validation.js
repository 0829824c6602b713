const USERNAME = /^[A-Za-z0-9_.-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateUsername(value) {
  if (!value) return 'Enter a username.';
  if (value.length < 3) return 'Usernames have at least 3 characters.';
  if (value.length > 64) return 'Usernames have at most 64 characters.';
  if (!USERNAME.test(value)) return 'Use only letters, digits, "_", "." and "-".';
  return null;
}

export function validateEmail(value) {
  if (!value) return 'Enter your email address.';
  if (!EMAIL.test(value)) return 'That does not look like an email address.';
  return null;
}

export function validatePassword(value) {
  if (!value) return 'Enter a password.';
  if (value.length < 8) return `Passwords have at least 8 characters (${8 - value.length} more).`;
  return null;
}
