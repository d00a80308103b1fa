"""A rehearsal of the scaled-out topology on one machine, all on loopback: a PostgreSQL
primary with a streaming replica, PgBouncer, a Redis Cluster, web processes and workers
(``microblog cluster up``, ``make cluster``). The tests start the same pieces."""
