import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { onSessionEnd, tokens } from './api-client';

const AuthContext = createContext(null);

/** Where each role lands after signing in. */
export function homeFor(user) {
  return user?.role === 'admin' ? '/admin' : '/';
}

/**
 * Holds the signed-in user. The tokens live in the API client (localStorage), so a
 * reload keeps the session; when the client ends a session we go to /login.
 */
export function AuthProvider({ children }) {
  const [user, setUser] = useState(() => (tokens.access ? tokens.user : null));
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  const startSession = useCallback((session) => {
    tokens.save(session);
    setUser(session.user);
  }, []);

  const updateUser = useCallback((next) => {
    tokens.save({ user: next });
    setUser(next);
  }, []);

  const clearSession = useCallback(
    (message) => {
      tokens.clear();
      setUser(null);
      queryClient.clear();
      navigate('/login', { replace: true, state: message ? { message } : undefined });
    },
    [navigate, queryClient],
  );

  useEffect(() => onSessionEnd((message) => clearSession(message)), [clearSession]);

  const value = useMemo(
    () => ({ user, startSession, updateUser, clearSession }),
    [user, startSession, updateUser, clearSession],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  const context = useContext(AuthContext);
  if (!context) throw new Error('useAuth must be used inside <AuthProvider>');
  return context;
}
