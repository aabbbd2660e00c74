package dev.coemesh.gateway.limit;

/**
 * The Lua scripts that keep the shared limits in Redis, one tenant's keys per call (they share the
 * hash tag {@code {tenant}}, so a Redis Cluster keeps them in one slot). Time is Redis's own
 * ({@code TIME}), so the gateways' clocks do not matter. Keys, for prefix {@code P} and tenant
 * {@code t}:
 *
 * <ul>
 *   <li>{@code P{t}:requests}, a hash from Unix second to requests admitted in it;
 *   <li>{@code P{t}:tokens}, a hash from Unix second to tokens charged in it (reservations at
 *       admission, reconciled when the request ends);
 *   <li>{@code P{t}:leases}, a sorted set of the requests in flight, scored by their lease's
 *       deadline (Unix ms); a member is {@code <request id>:<second>:<tokens reserved>}.
 * </ul>
 *
 * A window holds the seconds {@code now-59 .. now}; seconds that left it are deleted as the scripts
 * meet them, expired leases likewise, and every key expires on its own once idle (61 s after its
 * last charge, a lease's length after its last lease), so an idle tenant costs nothing.
 */
final class LimitScripts {
  private LimitScripts() {}

  /** Shared by the scripts: the server's time and the window's length. */
  private static final String PRELUDE =
      """
      if redis.replicate_commands then redis.replicate_commands() end -- Redis < 5: TIME, then writes
      local t = redis.call('TIME')
      local sec = tonumber(t[1])
      local now = sec * 1000 + math.floor(tonumber(t[2]) / 1000)
      local W = 60
      """;

  /**
   * Checks every limit and charges all of them, or none. KEYS: requests, tokens, leases. ARGV:
   * requests per minute (0: none), tokens per minute (0: none), max concurrent, tokens to reserve,
   * request id, lease ms. Returns {refused (0 none, 1 requests, 2 tokens, 3 concurrency), ms until
   * the refusing window lets a request in, requests in the window, ms until the requests window is
   * empty, tokens in the window, ms until the tokens window is empty, requests in flight, member}.
   */
  static final String ADMIT =
      PRELUDE
          + """
          local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
          local reserve, id, lease = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])

          -- the window's buckets in time order; the seconds that left it are deleted
          local function window(key)
            local flat = redis.call('HGETALL', key)
            local used, buckets, stale = 0, {}, {}
            for i = 1, #flat, 2 do
              local s, n = tonumber(flat[i]), tonumber(flat[i + 1])
              if s <= sec - W then
                stale[#stale + 1] = flat[i]
              else
                used = used + n
                buckets[#buckets + 1] = {s, n}
              end
            end
            if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
            table.sort(buckets, function(a, b) return a[1] < b[1] end)
            return used, buckets
          end
          -- ms until the oldest seconds leaving the window bring it below the limit
          local function until_below(used, buckets, limit)
            for i = 1, #buckets do
              used = used - buckets[i][2]
              if used < limit then return (buckets[i][1] + W) * 1000 - now end
            end
            return 0
          end
          local function until_empty(buckets)
            if #buckets == 0 then return 0 end
            return (buckets[#buckets][1] + W) * 1000 - now
          end

          local rUsed, rBuckets, tUsed, tBuckets = 0, {}, 0, {}
          if rpm > 0 then rUsed, rBuckets = window(KEYS[1]) end
          if tpm > 0 then tUsed, tBuckets = window(KEYS[2]) end
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
          local active = redis.call('ZCARD', KEYS[3])

          local refused, retry = 0, 0
          if rpm > 0 and rUsed >= rpm then
            refused, retry = 1, until_below(rUsed, rBuckets, rpm)
          elseif tpm > 0 and tUsed >= tpm then
            refused, retry = 2, until_below(tUsed, tBuckets, tpm)
          elseif active >= conc then
            refused = 3
          end
          local member = ''
          if refused == 0 then
            if rpm > 0 then
              redis.call('HINCRBY', KEYS[1], t[1], 1)
              redis.call('EXPIRE', KEYS[1], W + 1)
              rUsed = rUsed + 1
              rBuckets[#rBuckets + 1] = {sec, 1}
            end
            if tpm <= 0 then reserve = 0 end
            if reserve > 0 then
              redis.call('HINCRBY', KEYS[2], t[1], reserve)
              redis.call('EXPIRE', KEYS[2], W + 1)
              tUsed = tUsed + reserve
              tBuckets[#tBuckets + 1] = {sec, reserve}
            end
            member = id .. ':' .. t[1] .. ':' .. string.format('%d', reserve)
            redis.call('ZADD', KEYS[3], now + lease, member)
            redis.call('PEXPIRE', KEYS[3], lease)
            active = active + 1
          end
          return {refused, retry, rUsed, until_empty(rBuckets), tUsed, until_empty(tBuckets),
                  active, member}
          """;

  /**
   * Ends a lease and reconciles its reservation. KEYS: tokens, leases. ARGV: the member, or the
   * request id when ARGV[3] is {@code 1} (a lease whose admission the gateway never heard back
   * about); tokens used. Only a lease that is still in the set is reconciled, so a release repeated
   * or raced never refunds twice; the tokens of a lease that expired stay charged. Returns 1 when a
   * lease ended, else 0.
   */
  static final String RELEASE =
      PRELUDE
          + """
          local member = ARGV[1]
          if ARGV[3] == '1' then
            member = nil
            local prefix = ARGV[1] .. ':'
            for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
              if string.sub(m, 1, #prefix) == prefix then member = m; break end
            end
            if member == nil then return 0 end
          end
          if redis.call('ZREM', KEYS[2], member) == 0 then return 0 end
          local _, second, reserved = string.match(member, '^(.*):(%d+):(%d+)$')
          if second == nil then return 1 end
          local reserve = tonumber(reserved)
          if reserve <= 0 or tonumber(second) <= sec - W then return 1 end
          local refund = reserve - tonumber(ARGV[2])
          if refund == 0 then return 1 end
          local current = redis.call('HGET', KEYS[1], second)
          if current then
            local left = tonumber(current) - refund
            if left < 0 then left = 0 end
            redis.call('HSET', KEYS[1], second, string.format('%d', left))
          end
          return 1
          """;

  /**
   * Extends the leases of requests still in flight, adding any the set lost (a restarted store, or
   * requests admitted under local limits while it was unreachable). KEYS: leases. ARGV: lease ms,
   * then the members. Returns the set's size.
   */
  static final String RENEW =
      PRELUDE
          + """
          local lease = tonumber(ARGV[1])
          local args = {}
          for i = 2, #ARGV do
            args[#args + 1] = now + lease
            args[#args + 1] = ARGV[i]
          end
          if #args > 0 then redis.call('ZADD', KEYS[1], unpack(args)) end
          redis.call('PEXPIRE', KEYS[1], lease)
          return redis.call('ZCARD', KEYS[1])
          """;
}
