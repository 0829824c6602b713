import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { onSessionEnd, tokens } from './api-client';

const AuthContext = createContext(null);

/** Where each role lands after signing in. */
export function homeFor(user) {
  return user?.role === 'admin' ? '/admin' : '/';
}

/**
 * Holds the signed-in user. The tokens live in the API client (localStorage), so a
 * reload keeps the session. When a session ends (sign-out, failed refresh) the user
 * is cleared, the role gate sends them to /login, and `notice` says why.
 */
export function AuthProvider({ children }) {
  const [user, setUser] = useState(() => (tokens.access ? tokens.user : null));
  const [notice, setNotice] = useState(null);
  const queryClient = useQueryClient();

  const startSession = useCallback((session) => {
    tokens.save(session);
    setNotice(null);
    setUser(session.user);
  }, []);

  const updateUser = useCallback((next) => {
    tokens.save({ user: next });
    setUser(next);
  }, []);

  const clearSession = useCallback(
    (message) => {
      tokens.clear();
      setNotice(message || null);
      setUser(null);
      queryClient.clear();
    },
    [queryClient],
  );

  useEffect(() => onSessionEnd((message) => clearSession(message)), [clearSession]);

  const value = useMemo(
    () => ({ user, notice, startSession, updateUser, clearSession }),
    [user, notice, startSession, updateUser, clearSession],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  const context = useContext(AuthContext);
  if (!context) throw new Error('useAuth must be used inside <AuthProvider>');
  return context;
}
