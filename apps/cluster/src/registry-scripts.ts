/**
 * The registry's keys and Lua scripts, the same for Kamailio (ndb_redis `EVAL`) and the nodes
 * (ioredis), so both place a room by one rule:
 *
 * - `node:<name>`: the node's heartbeat (its SIP URI), `SET … PX <ttl>` refreshed every interval;
 * - `room:<room>`: the node the room meets on, pinned while that node's heartbeat is fresh.
 */

/** nodeKey is the Redis key of a node's heartbeat. */
export function nodeKey(name: string): string {
  return `node:${name}`;
}

/** roomKey is the Redis key holding the node a room meets on. */
export function roomKey(room: string): string {
  return `room:${room}`;
}

/**
 * CLAIM_ROOM (KEYS[1] = room:<room>, ARGV[1] = candidate node) returns the node the room meets
 * on: its owner while the owner's heartbeat is fresh; else the candidate, when the candidate's
 * heartbeat is fresh (a new room: `SET NX`; a room whose node died: taken over); else nil (the
 * caller tries another candidate). Atomic: Redis runs a script alone.
 */
export const CLAIM_ROOM =
  "local o=redis.call('GET',KEYS[1]) " +
  "if o and redis.call('EXISTS','node:'..o)==1 then return o end " +
  "if redis.call('EXISTS','node:'..ARGV[1])==0 then return false end " +
  "if o then redis.call('DEL',KEYS[1]) end " +
  "redis.call('SET',KEYS[1],ARGV[1],'NX') return ARGV[1]";

/** RELEASE_ROOM (KEYS[1] = room:<room>, ARGV[1] = node) deletes the room only if that node owns it. */
export const RELEASE_ROOM =
  "if redis.call('GET',KEYS[1])==ARGV[1] then return redis.call('DEL',KEYS[1]) end return 0";
