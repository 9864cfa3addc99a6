import { ENTITY_POOLS } from "../../policy/entities";
import { episodeDeadline } from "../../policy/episode";
import { earliest } from "../../policy/time";
import type { Domain } from "../domain";
import { settleOne } from "./enforcement";
import { loadPool } from "./pool";
import { entityMigrations } from "./schema";

export {
  type BatchItem,
  createEntities,
  type EntityBatch,
  type EntityLookup,
  type LookupItem,
  lookupEntities,
} from "./bulk";
export { BLOCK_BATCH } from "./enforcement";
export {
  closeLead,
  createEntity,
  deleteEntity,
  type EntityDeletion,
  readEntity,
  reopenLead,
} from "./operations";
export { LOOKUPS } from "./schema";
export { type EntityChange, type EntityView, entityUsage } from "./views";

export const entitiesDomain: Domain = {
  migrations: entityMigrations,
  settle(ctx) {
    for (const pool of ENTITY_POOLS) settleOne(ctx, pool);
  },
  nextDeadline(ctx) {
    return earliest(
      ...ENTITY_POOLS.map((pool) => {
        const loaded = loadPool(ctx.store, pool);
        // Blocks still to apply are due at once: the alarm applies them batch after batch.
        return loaded.blocking !== null ? ctx.now : episodeDeadline(loaded.state.episode);
      }),
    );
  },
};
