import { Link, useLocation } from '../app/router';
import { paths } from '../app/routes';

/** The topbar's way to the account page (email, password, sessions). */
export function AccountLink() {
  const { pathname } = useLocation();
  return (
    <Link
      to={paths.account}
      className="topbar-link"
      aria-current={pathname === paths.account ? 'page' : undefined}
    >
      Account
    </Link>
  );
}
