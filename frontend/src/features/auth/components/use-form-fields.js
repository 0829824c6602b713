import { useState } from 'react';

/**
 * Field values plus "validation as you type": a field's error shows once it was
 * edited or blurred, or after a submit attempt. Server errors per field are shown
 * until that field changes.
 */
export function useFormFields(initial, validators) {
  const [values, setValues] = useState(initial);
  const [touched, setTouched] = useState({});
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState({});

  const errors = Object.fromEntries(
    Object.keys(initial).map((name) => [name, validators[name]?.(values[name], values) || null]),
  );
  const visible = (name) =>
    ((touched[name] || submitted) && errors[name]) || serverErrors[name] || undefined;

  const bind = (name) => ({
    name,
    value: values[name],
    onChange: (event) => {
      const value = event.target.value;
      setValues((v) => ({ ...v, [name]: value }));
      setTouched((t) => ({ ...t, [name]: true }));
      setServerErrors((e) => ({ ...e, [name]: undefined }));
    },
    onBlur: () => setTouched((t) => (values[name] ? { ...t, [name]: true } : t)),
    error: visible(name),
  });

  const isValid = Object.values(errors).every((e) => !e);
  return { values, bind, isValid, setSubmitted, setServerErrors };
}
