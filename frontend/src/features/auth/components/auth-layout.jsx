export function AuthLayout({ title, subtitle, children, footer }) {
  return (
    <div className="flex min-h-dvh flex-col lg:flex-row">
      <aside className="relative hidden overflow-hidden bg-gradient-to-br from-indigo-700 via-indigo-600 to-violet-600 p-10 text-white lg:flex lg:w-[44%] lg:flex-col lg:justify-between">
        <Brand light />
        <div className="max-w-md">
          <h2 className="text-3xl leading-tight font-bold">
            Book the lab's CPUs and GPUs for the time you need them.
          </h2>
          <p className="mt-4 text-indigo-100">
            Pick a window, choose your resources and image, and get a container on a worker node
            when your booking starts.
          </p>
          <ul className="mt-8 space-y-3 text-sm text-indigo-100">
            <li className="flex gap-2">
              <span aria-hidden className="mt-1.5 size-1.5 shrink-0 rounded-full bg-indigo-200" />{' '}
              See availability before you submit
            </li>
            <li className="flex gap-2">
              <span aria-hidden className="mt-1.5 size-1.5 shrink-0 rounded-full bg-indigo-200" />{' '}
              Follow approval and start in real time
            </li>
            <li className="flex gap-2">
              <span aria-hidden className="mt-1.5 size-1.5 shrink-0 rounded-full bg-indigo-200" />{' '}
              Open your session straight from the dashboard
            </li>
          </ul>
        </div>
        <p className="text-xs text-indigo-200">University compute lab</p>
        <div
          className="pointer-events-none absolute -right-24 -bottom-24 size-96 rounded-full bg-white/10"
          aria-hidden
        />
      </aside>
      <main className="flex flex-1 items-center justify-center px-4 py-10 sm:px-8">
        <div className="w-full max-w-sm">
          <div className="mb-8 lg:hidden">
            <Brand />
          </div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">{title}</h1>
          {subtitle && <p className="mt-1 text-sm text-slate-600">{subtitle}</p>}
          <div className="mt-6">{children}</div>
          {footer && <div className="mt-6 text-center text-sm text-slate-600">{footer}</div>}
        </div>
      </main>
    </div>
  );
}

function Brand({ light = false }) {
  return (
    <div className="flex items-center gap-2.5">
      <img src="/favicon.svg" alt="" className="size-8" />
      <span className={`text-lg font-bold ${light ? 'text-white' : 'text-slate-900'}`}>
        Lab Compute
      </span>
    </div>
  );
}
