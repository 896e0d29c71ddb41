// The order the publisher pushes resource types in: secrets before the links that use them, and
// for a site's own engine the link server and the admission set first.
import type { ResourceType, RouterResourceType } from '../../dataplane/port/push.js';

/** Router replicas subscribe to these (svcnet.v1.DataplaneDiscovery). */
export const RESOURCE_TYPES = ['certificates', 'links', 'listeners', 'connectors'] as const satisfies readonly RouterResourceType[];
/** A site's own engine subscribes to every type. */
export const SITE_TYPES = ['server', 'admission', ...RESOURCE_TYPES] as const satisfies readonly ResourceType[];

// A type added to the port but not to these lists fails to compile here.
type Missing = Exclude<ResourceType, (typeof SITE_TYPES)[number]>;
export const EVERY_TYPE_LISTED: [Missing] extends [never] ? true : Missing = true;
