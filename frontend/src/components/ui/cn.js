/** Join class names, skipping falsy ones. */
export function cn(...classes) {
  return classes.filter(Boolean).join(' ');
}
