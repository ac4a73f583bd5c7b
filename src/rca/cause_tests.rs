//! Each built-in cause on observations of its own: the right cause ranks first, with distractors that
//! other rules also pick up; and a cause whose symptoms came in the wrong order does not rank first.

use super::answer::{analyze, Analysis, AnalyzeOptions};
use super::build::from_observations;
use super::observation::Observations;
use super::rules::load;
use serde_json::{json, Value};

const T0: i64 = 1_705_287_600; // 2024-01-15T03:00:00Z

/// Three brokers; orders (6 partitions, RF 3) read by orders-proc and written by checkout; payments read by
/// payments-svc (members c1, c2); audit with min.insync.replicas = RF.
fn cluster(signals: Vec<Value>) -> Observations {
    let partitions = |n: i32| -> Vec<Value> {
        (0..n)
            .map(|p| {
                let leader = p % 3 + 1;
                json!({"id": p, "leader": leader, "replicas": [leader, leader % 3 + 1, (leader + 1) % 3 + 1], "isr": [1, 2, 3]})
            })
            .collect()
    };
    serde_json::from_value(json!({
        "cluster": {"id": "prod-eu", "controller": 1},
        "brokers": [{"id": 1}, {"id": 2}, {"id": 3}],
        "topics": [
            {"name": "orders", "partitions": partitions(6)},
            {"name": "payments", "partitions": partitions(6)},
            {"name": "audit", "partitions": partitions(2), "min_insync_replicas": 3}
        ],
        "groups": [
            {"id": "payments-svc", "topics": ["payments"], "members": ["c1", "c2"]},
            {"id": "orders-proc", "topics": ["orders"]}
        ],
        "clients": [{"id": "checkout", "produces_to": ["orders"]}],
        "signals": signals
    }))
    .unwrap()
}

/// A signal `seconds` after T0.
fn sig(class: &str, entity: &str, seconds: i64) -> Value {
    json!({"class": class, "entity": entity, "start": T0 + seconds})
}

fn run(signals: Vec<Value>) -> Analysis {
    let g = from_observations(&cluster(signals)).unwrap();
    analyze(&g, &load(None).unwrap(), &AnalyzeOptions::default()).0
}

fn top(a: &Analysis) -> (String, String) {
    let h = a.hypotheses.first().expect("a hypothesis");
    (h.rule.clone(), h.on.clone())
}

fn ranked(a: &Analysis) -> Vec<String> {
    a.hypotheses.iter().map(|h| format!("{} {} {:.2}", h.rule, h.on, h.confidence)).collect()
}

fn assert_top(a: &Analysis, rule: &str, on: &str) {
    assert_eq!(top(a), (rule.to_string(), on.to_string()), "ranking: {:#?}", ranked(a));
    assert!(a.fits, "{}", a.verdict);
}

/// Broker 2's partitions: orders-1, orders-4 (leader) and every partition with a replica on 2.
fn isr_shrinks(broker: i32, at: i64) -> Vec<Value> {
    let mut out = vec![];
    for topic in ["orders", "payments"] {
        for p in 0..6 {
            if p % 3 + 1 != broker {
                out.push(sig("isr_shrink", &format!("partition:{topic}-{p}"), at + p as i64));
            }
        }
    }
    out
}

#[test]
fn broker_out_of_disk() {
    let mut s = vec![
        sig("disk_usage_high", "broker:2", -600),
        sig("log_dir_failure", "broker:2", 1),
        sig("broker_shutdown", "broker:2", 2),
        json!({"class": "connection_failed", "entity": "broker:2", "reported_by": "broker:1", "start": T0 + 3, "source": "log", "count": 40}),
        sig("leader_election", "cluster", 20),
    ];
    s.extend(isr_shrinks(2, 34));
    let a = run(s);
    assert_top(&a, "broker_out_of_disk", "broker:2");
    // The distractors were formed and ranked lower.
    let rules: Vec<&str> = a.hypotheses.iter().map(|h| h.rule.as_str()).collect();
    assert!(rules.contains(&"broker_down") && rules.contains(&"network_partition"), "{rules:?}");
    let h = &a.hypotheses[0];
    assert!(h.missing.is_empty(), "{:?}", h.missing);
    assert!(h.blast_radius.topics.contains(&"topic:orders".to_string()));
    assert!(h.blast_radius.groups.contains(&"group:payments-svc".to_string()));
    assert!(h
        .verification
        .iter()
        .any(|v| v.tool == "loki_query" && v.arguments["logql"].as_str().unwrap().contains("broker=\"2\"")));
}

#[test]
fn disk_errors_long_after_the_broker_died_do_not_make_it_a_disk_outage() {
    // The broker stopped first; the disk alarm fired 10 minutes later (e.g. core dumps filling the disk).
    let mut s = vec![
        sig("broker_down", "broker:2", 0),
        sig("connection_failed", "broker:2", 3),
        sig("leader_election", "cluster", 20),
        sig("disk_full", "broker:2", 600),
    ];
    s.extend(isr_shrinks(2, 34));
    let a = run(s);
    assert_top(&a, "broker_down", "broker:2");
    let disk = a.hypotheses.iter().find(|h| h.rule == "broker_out_of_disk").unwrap();
    assert!(disk.order.starts_with("contradicted"), "{}", disk.order);
}

#[test]
fn broker_down() {
    let mut s = vec![
        sig("broker_down", "broker:3", 0),
        sig("connection_failed", "broker:3", 2),
        sig("leader_election", "cluster", 20),
    ];
    s.extend(isr_shrinks(3, 30));
    assert_top(&run(s), "broker_down", "broker:3");
}

#[test]
fn gc_pressure() {
    let mut s = vec![
        sig("gc_pressure", "broker:1", 0),
        sig("request_latency_high", "broker:1", 30),
        sig("zk_session_expired", "broker:1", 60),
        json!({"class": "connection_failed", "entity": "broker:1", "reported_by": "broker:2", "start": T0 + 50}),
    ];
    s.extend(isr_shrinks(1, 70));
    let a = run(s);
    assert_top(&a, "gc_pressure", "broker:1");
    let net = a.hypotheses.iter().find(|h| h.rule == "network_partition").unwrap();
    assert!(!net.contradicting.is_empty());
}

#[test]
fn controller_churn() {
    let s = vec![
        sig("controller_change", "broker:1", 0),
        sig("controller_change", "broker:3", 60),
        sig("no_active_controller", "cluster", 10),
        sig("zk_session_expired", "broker:1", 5),
        sig("leader_election", "cluster", 30),
        sig("offline_partitions", "partition:orders-1", 40),
        sig("not_leader_errors", "client:checkout", 50),
    ];
    assert_top(&run(s), "controller_churn", "cluster");
}

#[test]
fn network_partition() {
    let mut s = vec![
        json!({"class": "connection_failed", "entity": "broker:3", "reported_by": "broker:1", "start": T0, "source": "log", "count": 25}),
        sig("zk_session_expired", "broker:3", 15),
        sig("leader_election", "cluster", 20),
    ];
    s.extend(isr_shrinks(3, 30));
    assert_top(&run(s), "network_partition", "broker:3");
}

#[test]
fn slow_consumer_and_rebalance_storm_are_told_apart_by_order() {
    let slow = run(vec![
        sig("lag_growing", "group:payments-svc", 0),
        sig("member_timeout", "client:c1", 300),
        sig("rebalance", "group:payments-svc", 310),
    ]);
    assert_top(&slow, "slow_consumer", "group:payments-svc");
    let storm = slow.hypotheses.iter().find(|h| h.rule == "rebalance_storm").unwrap();
    assert!(storm.order.starts_with("contradicted"), "{}", storm.order);

    let storm = run(vec![
        json!({"class": "rebalance", "entity": "group:payments-svc", "start": T0, "count": 12, "source": "log"}),
        sig("member_timeout", "client:c2", 5),
        sig("lag_growing", "group:payments-svc", 120),
    ]);
    assert_top(&storm, "rebalance_storm", "group:payments-svc");
    let slow = storm.hypotheses.iter().find(|h| h.rule == "slow_consumer").unwrap();
    assert!(slow.order.starts_with("contradicted"), "{}", slow.order);
}

#[test]
fn producer_quota_throttling() {
    let s = vec![
        sig("produce_throttled", "client:checkout", 0),
        sig("produce_latency_high", "client:checkout", 10),
        sig("produce_rate_drop", "client:checkout", 20),
        sig("lag_growing", "group:orders-proc", 400),
    ];
    assert_top(&run(s), "producer_quota_throttling", "client:checkout");
}

#[test]
fn hot_partition() {
    // orders-3 is led by broker 1 (3 % 3 + 1).
    let s = vec![
        sig("partition_skew", "partition:orders-3", 0),
        sig("request_latency_high", "broker:1", 60),
        sig("lag_growing", "partition:orders-3", 120),
    ];
    let a = run(s);
    assert_top(&a, "hot_partition", "partition:orders-3");
    let check = a.hypotheses[0].verification.iter().find(|v| v.tool == "infer_schema").unwrap();
    assert_eq!(check.arguments, json!({"topic": "orders", "partition": 3, "from": "tail", "max_messages": 500}));
}

#[test]
fn under_provisioned_replication() {
    // audit has min.insync.replicas 3 = RF: the metadata yields low_replication_factor by itself.
    let s = vec![sig("under_min_isr", "partition:audit-1", 0), sig("not_enough_replicas", "client:checkout", 5)];
    let a = run(s);
    assert_top(&a, "under_provisioned_replication", "topic:audit");
    let b = &a.hypotheses[0].blast_radius;
    assert_eq!(
        (b.partitions, b.partition_sample.clone()),
        (2, vec!["partition:audit-0".to_string(), "partition:audit-1".to_string()])
    );
}

#[test]
fn nothing_fits_lists_the_strongest_signals() {
    let a = run(vec![sig("cpu_steal", "broker:1", 30), sig("weird_thing", "broker:2", 0)]);
    assert!(!a.fits);
    // The audit topic's standing misconfiguration alone is not an incident.
    assert!(a.hypotheses.iter().all(|h| h.rule == "under_provisioned_replication"), "{:#?}", ranked(&a));
    assert!(a.verdict.starts_with("no rule fits"), "{}", a.verdict);
    assert_eq!(a.strongest_signals[0].class, "weird_thing");
    assert_eq!(a.unused_classes, ["cpu_steal", "weird_thing"]);
}

#[test]
fn focus_keeps_the_hypotheses_that_concern_it() {
    let mut s = vec![sig("broker_down", "broker:3", 0), sig("rebalance", "group:orders-proc", 5)];
    s.extend(isr_shrinks(3, 30));
    let g = from_observations(&cluster(s)).unwrap();
    let focus = vec![super::observation::EntityRef::Group("orders-proc".into())];
    let (a, _) = analyze(&g, &load(None).unwrap(), &AnalyzeOptions { window: None, focus });
    assert!(a.hypotheses.iter().all(|h| h.on == "group:orders-proc"), "{:#?}", ranked(&a));
}

/// A signal from `start` to `end` seconds after T0 (over), with `count` lines when a log signal.
fn span(class: &str, entity: &str, start: i64, end: i64, count: Option<u64>) -> Value {
    let mut v = json!({"class": class, "entity": entity, "start": T0 + start, "end": T0 + end});
    if let Some(n) = count {
        v["count"] = json!(n);
    }
    v
}

fn hypothesis<'a>(a: &'a Analysis, rule: &str, on: &str) -> &'a super::answer::Hypothesis {
    a.hypotheses
        .iter()
        .find(|h| h.rule == rule && h.on == on)
        .unwrap_or_else(|| panic!("{rule} on {on}: {:#?}", ranked(a)))
}

#[test]
fn a_groups_lag_that_began_after_a_broker_went_down_is_its_effect() {
    let mut s = vec![
        sig("broker_down", "broker:3", 0),
        sig("connection_failed", "broker:3", 2),
        sig("leader_election", "cluster", 20),
        sig("lag_growing", "group:payments-svc", 60),
        sig("member_timeout", "client:c1", 90),
        sig("rebalance", "group:payments-svc", 100),
    ];
    s.extend(isr_shrinks(3, 40));
    let a = run(s);
    assert_top(&a, "broker_down", "broker:3");
    let slow = hypothesis(&a, "slow_consumer", "group:payments-svc");
    assert!(slow.demoted.iter().any(|d| d.contains("effect of")), "{:?}", slow.demoted);
}

#[test]
fn lag_of_a_throttled_clients_group_is_an_effect_of_the_throttling() {
    let a = run(vec![
        sig("produce_throttled", "client:c1", 0),
        sig("produce_latency_high", "client:c1", 10),
        sig("lag_growing", "group:payments-svc", 120),
        sig("lag_growing", "partition:payments-2", 125),
    ]);
    assert_top(&a, "producer_quota_throttling", "client:c1");
}

#[test]
fn a_short_gc_blip_on_another_broker_does_not_outrank_the_cause() {
    let mut s = vec![
        span("gc_pressure", "broker:2", 0, 90, None),
        span("request_latency_high", "broker:2", 20, 80, None),
        sig("broker_down", "broker:3", 600),
        sig("connection_failed", "broker:3", 602),
        sig("leader_election", "cluster", 620),
    ];
    s.extend(isr_shrinks(3, 640));
    let a = run(s);
    assert_top(&a, "broker_down", "broker:3");
    let gc = hypothesis(&a, "gc_pressure", "broker:2");
    assert!(gc.demoted.iter().any(|d| d.contains("blip")), "{:?}", gc.demoted);
}

#[test]
fn a_routine_restart_long_before_the_incident_ranks_below_it() {
    let a = run(vec![
        span("broker_down", "broker:1", 0, 90, None),
        span("leader_election", "cluster", 5, 100, Some(12)),
        sig("lag_growing", "group:payments-svc", 1800),
        sig("lag_growing", "partition:payments-1", 1805),
        sig("lag_growing", "partition:payments-4", 1805),
    ]);
    assert_top(&a, "slow_consumer", "group:payments-svc");
    let restart = hypothesis(&a, "broker_down", "broker:1");
    assert!(restart.demoted.iter().any(|d| d.contains("past episode")), "{:?}", restart.demoted);
}

#[test]
fn one_controller_move_is_not_churn_and_one_rebalance_is_not_a_storm() {
    let a = run(vec![
        span("controller_change", "broker:1", 0, 1, Some(1)),
        span("rebalance", "group:orders-proc", 10, 14, Some(2)),
        sig("lag_growing", "group:payments-svc", 900),
        sig("member_timeout", "client:c1", 1200),
    ]);
    assert_top(&a, "slow_consumer", "group:payments-svc");
    let storm = hypothesis(&a, "rebalance_storm", "group:orders-proc");
    assert!(storm.demoted.iter().any(|d| d.contains("single episode")), "{:?}", storm.demoted);
}

#[test]
fn repeated_rebalances_before_the_lag_are_a_storm_not_a_slow_consumer() {
    let a = run(vec![
        span("rebalance", "group:payments-svc", 0, 1500, Some(40)),
        span("member_timeout", "client:c2", 60, 1400, Some(12)),
        sig("lag_growing", "group:payments-svc", 10),
    ]);
    assert_top(&a, "rebalance_storm", "group:payments-svc");
}

#[test]
fn a_topic_that_cannot_ride_through_a_broker_restart_is_under_provisioned() {
    let a = run(vec![
        span("broker_down", "broker:2", 0, 240, None),
        span("leader_election", "cluster", 5, 250, Some(8)),
        span("under_replicated", "broker:1", 10, 300, None),
        span("under_min_isr", "partition:audit-1", 30, 240, Some(50)),
        span("under_min_isr", "partition:audit-0", 31, 240, Some(40)),
        span("under_replicated", "partition:audit-0", 12, 240, None),
        span("produce_errors", "partition:audit-1", 32, 240, Some(30)),
    ]);
    assert_top(&a, "under_provisioned_replication", "topic:audit");
    let restart = hypothesis(&a, "broker_down", "broker:2");
    assert!(restart.demoted.iter().any(|d| d.contains("ride through")), "{:?}", restart.demoted);
}

#[test]
fn under_min_isr_on_every_topic_is_the_brokers_effect() {
    let mut s = vec![
        sig("broker_down", "broker:3", 0),
        sig("connection_failed", "broker:3", 2),
        sig("leader_election", "cluster", 20),
        sig("under_min_isr", "partition:audit-1", 30),
        sig("under_min_isr", "partition:orders-2", 31),
        sig("under_min_isr", "partition:payments-2", 32),
    ];
    s.extend(isr_shrinks(3, 40));
    let a = run(s);
    assert_top(&a, "broker_down", "broker:3");
}

#[test]
fn the_top_hypothesis_says_what_tells_it_from_the_second() {
    let a = run(vec![
        span("rebalance", "group:payments-svc", 0, 1500, Some(40)),
        span("member_timeout", "client:c2", 60, 1400, Some(12)),
        sig("lag_growing", "group:payments-svc", 10),
    ]);
    let t = a.hypotheses[0].tells_apart.as_ref().expect("tells_apart on the first hypothesis");
    assert_eq!(t.versus, format!("{}@{}", a.hypotheses[1].rule, a.hypotheses[1].on));
    assert!(t.discriminator.contains("rebalance"), "{}", t.discriminator);
    assert!(t.verification.is_some());
    assert!(a.hypotheses[1].tells_apart.is_none());
}

#[test]
fn a_broker_that_restarted_in_a_rolling_restart_then_went_down_for_good_is_judged_on_its_outage() {
    // A rolling restart: broker 1 for a minute (ISRs shrink), then broker 2; at 30 min broker 2 goes down for good.
    let mut s = vec![
        span("broker_down", "broker:1", 0, 60, None),
        span("broker_down", "broker:2", 300, 360, None),
        sig("broker_down", "broker:2", 1800),
    ];
    s.extend(isr_shrinks(1, 5));
    s.extend(isr_shrinks(2, 305));
    s.extend(isr_shrinks(2, 1830));
    let a = run(s);
    assert_top(&a, "broker_down", "broker:2");
    let h = hypothesis(&a, "broker_down", "broker:2");
    assert!(!h.order.starts_with("contradicted"), "{}", h.order);
}

#[test]
fn a_hot_partitions_lag_may_show_before_its_skew() {
    // The lag is seen rising at the first scrape; the skew, a growth rate over a window, two minutes later.
    let a = run(vec![
        json!({"class": "lag_growing", "entity": "partition:orders-3", "start": T0}),
        json!({"class": "lag_growing", "entity": "group:orders-proc", "start": T0 + 15}),
        json!({"class": "partition_skew", "entity": "partition:orders-3", "start": T0 + 120}),
    ]);
    assert_top(&a, "hot_partition", "partition:orders-3");
    let slow = hypothesis(&a, "slow_consumer", "group:orders-proc");
    assert!(slow.contradicting.iter().any(|c| c.contains("key skew")), "{:?}", slow.contradicting);
}

#[test]
fn a_storm_of_rebalances_from_the_start_of_the_lag_is_not_a_slow_consumer() {
    // Members fail, the lag is seen rising at the next scrape, the coordinator logs rebalance after rebalance.
    let a = run(vec![
        json!({"class": "member_timeout", "entity": "group:payments-svc", "start": T0 - 8, "count": 2, "source": "log"}),
        json!({"class": "lag_growing", "entity": "group:payments-svc", "start": T0}),
        json!({"class": "group_rebalance", "entity": "group:payments-svc", "start": T0 + 15, "count": 20, "source": "log"}),
    ]);
    assert_top(&a, "rebalance_storm", "group:payments-svc");
    // A slow consumer whose members are evicted minutes into its lag keeps its cause.
    let a = run(vec![
        json!({"class": "lag_growing", "entity": "group:payments-svc", "start": T0}),
        json!({"class": "member_timeout", "entity": "group:payments-svc", "start": T0 + 300, "count": 2, "source": "log"}),
        json!({"class": "group_rebalance", "entity": "group:payments-svc", "start": T0 + 310, "count": 8, "source": "log"}),
    ]);
    assert_top(&a, "slow_consumer", "group:payments-svc");
}

#[test]
fn a_consumer_paused_for_minutes_during_a_long_throttle_is_not_the_cause() {
    // checkout is throttled for half an hour; payments-svc (which does not read what checkout writes) lags for
    // six minutes in the middle and drains: a transient inside the throttle, not its cause.
    let a = run(vec![
        // the window's data begins earlier (the throttle has an onset of its own)
        span("isr_expand", "partition:orders-1", -600, -590, Some(1)),
        span("produce_throttled", "client:checkout", 0, 1800, None),
        span("lag_growing", "group:payments-svc", 540, 900, None),
        span("lag_growing", "partition:payments-1", 540, 900, None),
    ]);
    assert_top(&a, "producer_quota_throttling", "client:checkout");
    let slow = hypothesis(&a, "slow_consumer", "group:payments-svc");
    assert!(slow.demoted.iter().any(|d| d.contains("not its cause")), "{:?}", slow.demoted);
}

#[test]
fn rebalances_of_a_deploy_do_not_make_a_storm() {
    // payments-svc is redeployed (members leave and join: a dozen rebalances, some lag, nobody fails) while
    // the controller changes again and again.
    let a = run(vec![
        json!({"class": "group_rebalance", "entity": "group:payments-svc", "start": T0, "end": T0 + 300, "count": 12, "source": "log"}),
        span("lag_growing", "group:payments-svc", 30, 330, None),
        json!({"class": "controller_change", "entity": "cluster", "start": T0 + 420, "count": 9, "source": "log"}),
    ]);
    assert_top(&a, "controller_churn", "cluster");
    let storm = hypothesis(&a, "rebalance_storm", "group:payments-svc");
    assert!(storm.demoted.iter().any(|d| d.contains("defining symptom")), "{:?}", storm.demoted);
}

#[test]
fn a_network_partition_seen_in_metrics_only() {
    // No logs: broker 2 stays scraped, its produce p99 rises (acks=all waits on followers that cannot fetch), it
    // shrinks the ISRs it leads, and its host's received bytes collapse (a rate over a window: seen last).
    let mut s = vec![
        sig("latency_high", "broker:2", 0),
        sig("isr_shrinking", "broker:2", 30),
        sig("network_traffic_collapse", "broker:2", 60),
    ];
    s.extend(isr_shrinks(2, 35));
    assert_top(&run(s), "network_partition", "broker:2");
}

#[test]
fn a_consumer_pause_after_a_topic_outage_does_not_make_the_outage_a_past_episode() {
    // audit (min.insync.replicas = RF) refuses writes for four minutes; ten minutes after, payments-svc pauses:
    // its lag rises for five minutes and drains back (lag_drained), which consumers too slow do not do.
    let a = run(vec![
        span("under_min_isr", "partition:audit-1", 30, 240, Some(50)),
        span("produce_errors", "partition:audit-1", 32, 240, Some(30)),
        span("lag_growing", "group:payments-svc", 840, 1140, None),
        span("lag_drained", "group:payments-svc", 840, 1500, None),
    ]);
    assert_top(&a, "under_provisioned_replication", "topic:audit");
    let pause = hypothesis(&a, "slow_consumer", "group:payments-svc");
    assert!(pause.contradicting.iter().any(|c| c.contains("lag_drained")), "{:?}", pause.contradicting);
}

#[test]
fn a_topic_that_failed_in_an_earlier_rolling_restart_still_explains_the_later_restart() {
    // A rolling restart at the window's start (broker 1, then 3) takes audit below min ISR each time; thirty
    // minutes later broker 2's routine restart does it again. Broker 2 came back; audit could not ride through.
    let a = run(vec![
        span("broker_down", "broker:1", 0, 60, None),
        span("under_min_isr", "partition:audit-0", 5, 60, Some(20)),
        span("broker_down", "broker:3", 300, 360, None),
        span("under_min_isr", "partition:audit-1", 305, 360, Some(20)),
        span("broker_down", "broker:2", 2100, 2400, None),
        span("under_min_isr", "partition:audit-0", 2110, 2400, Some(60)),
        span("produce_errors", "partition:audit-0", 2112, 2400, Some(40)),
    ]);
    assert_top(&a, "under_provisioned_replication", "topic:audit");
    let restart = hypothesis(&a, "broker_down", "broker:2");
    assert!(restart.demoted.iter().any(|d| d.contains("ride through")), "{:?}", restart.demoted);
}

#[test]
fn a_throttle_held_all_window_is_a_steady_state_not_the_incident() {
    // checkout is throttled from before the window to its end (no onset); broker 2's disk fills at 10 min and it
    // stops; produce latency rises on the others and payments-svc lags. The throttle began nothing.
    let a = run(vec![
        json!({"class": "produce_throttled", "entity": "client:checkout", "source": "metric", "value": 300.0}),
        span("disk_full", "broker:2", 600, 700, None),
        span("out_of_space", "broker:2", 640, 700, Some(12)),
        span("broker_stop", "broker:2", 700, 710, Some(2)),
        span("latency_high", "broker:1", 730, 900, None),
        span("latency_high", "broker:3", 730, 900, None),
        span("lag_growing", "group:orders-proc", 740, 1200, None),
    ]);
    assert_top(&a, "broker_out_of_disk", "broker:2");
    let throttle = hypothesis(&a, "producer_quota_throttling", "client:checkout");
    assert!(throttle.demoted.iter().any(|d| d.contains("steady state")), "{:?}", throttle.demoted);
}
