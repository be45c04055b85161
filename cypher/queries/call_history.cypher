// name: call_history
// description: How often two numbers called each other, each way: calls, first and last call, minutes, calls per week.
// result: table
// roles: agent, analyst, supervisor, auditor
// param: phone_a | phone | required
// param: phone_b | phone | required
// ---
// CALLED links aggregate the call detail records between two numbers (count, first_at, last_at,
// total_seconds); one row per direction that has any calls. Only active links count. A number counts
// only when a record the user may read uses it (the guard's rule for selectors).
MATCH (a:Phone {e164: $phone_a}), (b:Phone {e164: $phone_b})
MATCH (x:Phone)-[c:CALLED {status: 'active'}]->(y:Phone)
WHERE (x = a AND y = b) OR (x = b AND y = a)
WITH x, y, c, duration.inDays(c.first_at, c.last_at).days AS span_days
RETURN x.e164 AS caller, y.e164 AS called, c.count AS calls, c.first_at AS first_call, c.last_at AS last_call,
       span_days, round(c.total_seconds / 60.0, 1) AS minutes,
       round(c.count / ((span_days + 1) / 7.0), 2) AS calls_per_week
ORDER BY caller
