/**
 * Whether this checkout can train in several processes (the libtorch addon built with c10d Gloo): `skip` is false
 * when it can, else the reason, for `describe(…, { skip })`.
 */
import { multiProcessUnsupported } from '../../runtime/distributed/process_group';

export const skip: string | false = multiProcessUnsupported('libtorch') ?? false;
