-- Periodic tasks (heat refresh, job retention) run once per tick across all
-- worker processes: the process that moves `last_tick` forward runs the tick.
create table scheduled_run (
    name       text primary key,
    last_tick  bigint not null,
    ran_at     timestamptz not null default now(),
    ran_by     text not null
);
