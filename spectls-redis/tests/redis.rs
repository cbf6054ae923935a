//! `RedisSessionStore` against a real `redis-server` (Debian package `redis-server`) started on
//! a free loopback port for each test: two servers resume each other's TLS 1.2 sessions and
//! TLS 1.3 tickets through it, a ticket resumes once across both (GETDEL), keys expire with the
//! session lifetime, and Redis going away, hanging or holding garbage is a full handshake,
//! never an error and never a stall beyond the timeout.

mod common;

use common::*;
use redis::Commands;
use spectls::session::{ClientSessionMemoryCache, StoresClientSessions};
use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

/// The keys of one space (`tls12` or `tls13`) under the default prefix.
fn keys(redis: &Redis, space: &str) -> Vec<String> {
    let mut conn = redis.inspect();
    let mut found: Vec<String> = conn.keys(format!("spectls:{space}:*")).expect("KEYS");
    found.sort();
    found
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The newest TLS 1.3 ticket the client has for localhost, taken out of its cache.
fn take_ticket(cache: &ClientSessionMemoryCache) -> spectls::session::Tls13Ticket {
    cache.take_tls13("localhost").expect("a TLS 1.3 ticket")
}

#[test]
fn tls12_sessions_resume_by_id_across_two_servers_sharing_redis() {
    let Some(redis) = Redis::start() else { return };
    // Two servers (two stores, two configs: two machines of a fleet), one Redis.
    let a = server(12, store(&redis.url(), HOUR), HOUR);
    let b = server(12, store(&redis.url(), HOUR), HOUR);
    let cache = ClientSessionMemoryCache::new(8);
    let client = client(&cache);
    let first = connect(&client, &a);
    assert_eq!(
        first,
        Outcome {
            resumed: false,
            tls13: false
        }
    );
    let stored = keys(&redis, "tls12");
    assert_eq!(stored.len(), 1, "the session, under its ID");
    // The other server resumes it by session ID, and so does the first one again: a TLS 1.2
    // session stays until it expires.
    assert!(connect(&client, &b).resumed);
    assert!(connect(&client, &a).resumed);
    assert_eq!(keys(&redis, "tls12"), stored);
    assert!(keys(&redis, "tls13").is_empty());
}

#[test]
fn tls13_stateful_tickets_resume_across_two_servers_sharing_redis() {
    let Some(redis) = Redis::start() else { return };
    let a = server(13, store(&redis.url(), HOUR), HOUR);
    let b = server(13, store(&redis.url(), HOUR), HOUR);
    let cache = ClientSessionMemoryCache::new(8);
    let client = client(&cache);
    let first = connect(&client, &a);
    assert_eq!(
        first,
        Outcome {
            resumed: false,
            tls13: true
        }
    );
    assert_eq!(keys(&redis, "tls13").len(), 2, "two tickets, two states");
    // B takes one of A's tickets (and issues two), A one of B's, and so on.
    for (round, server) in [&b, &a, &b].into_iter().enumerate() {
        let outcome = connect(&client, server);
        assert!(outcome.resumed && outcome.tls13, "round {round}");
        assert_eq!(
            keys(&redis, "tls13").len(),
            2 + (round + 1),
            "round {round}"
        );
    }
    assert!(keys(&redis, "tls12").is_empty());
}

#[test]
fn a_tls13_ticket_resumes_once_across_the_fleet() {
    let Some(redis) = Redis::start() else { return };
    let a = server(13, store(&redis.url(), HOUR), HOUR);
    let b = server(13, store(&redis.url(), HOUR), HOUR);
    let cache = ClientSessionMemoryCache::new(8);
    let client = client(&cache);
    connect(&client, &a);
    let ticket = take_ticket(&cache);
    let key = format!("spectls:tls13:{}", hex(&ticket.ticket));
    let mut inspect = redis.inspect();
    assert!(inspect.exists::<_, bool>(&key).unwrap());
    while cache.take_tls13("localhost").is_some() {}
    // The ticket offered to B: resumed, and its state is gone from Redis (GETDEL).
    cache.put_tls13("localhost", ticket.clone());
    assert!(connect(&client, &b).resumed);
    assert!(!inspect.exists::<_, bool>(&key).unwrap());
    // The same ticket again (a replay), to A or to B: a full handshake, no error.
    for server in [&a, &b] {
        while cache.take_tls13("localhost").is_some() {}
        cache.put_tls13("localhost", ticket.clone());
        assert!(!connect(&client, server).resumed);
    }
}

#[test]
fn keys_live_for_the_session_lifetime() {
    let Some(redis) = Redis::start() else { return };
    let lifetime = Duration::from_secs(300);
    let cache = ClientSessionMemoryCache::new(8);
    let client = client(&cache);
    connect(
        &client,
        &server(12, store(&redis.url(), lifetime), lifetime),
    );
    connect(
        &client,
        &server(13, store(&redis.url(), lifetime), lifetime),
    );
    let mut inspect = redis.inspect();
    let all: Vec<String> = [keys(&redis, "tls12"), keys(&redis, "tls13")].concat();
    assert_eq!(all.len(), 3, "{all:?}");
    for key in &all {
        let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut inspect).unwrap();
        assert!(
            ttl > 290_000 && ttl <= 300_000,
            "{key}: PTTL {ttl} ms, want the 300 s lifetime"
        );
    }

    // Redis drops a key when its TTL runs out: a store whose lifetime (1 s) is shorter than the
    // servers' (an hour) loses its sessions after 1 s, and they are full handshakes then.
    let short = Duration::from_secs(1);
    let cache = ClientSessionMemoryCache::new(8);
    let client = common::client(&cache);
    let s12 = server(12, store(&redis.url(), short), HOUR);
    let s13 = server(13, store(&redis.url(), short), HOUR);
    connect(&client, &s12);
    connect(&client, &s13);
    std::thread::sleep(Duration::from_millis(1300));
    assert!(!connect(&client, &s12).resumed);
    assert!(!connect(&client, &s13).resumed);
}

#[test]
fn redis_going_away_is_a_full_handshake_and_the_store_reconnects_when_it_is_back() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let port = redis.port;
    let s12 = server(12, store(&redis.url(), HOUR), HOUR);
    let s13 = server(13, store(&redis.url(), HOUR), HOUR);
    // One client per version: a client's TLS 1.3 connection to localhost replaces the TLS 1.2
    // session it keeps for it.
    let c12 = client(&ClientSessionMemoryCache::new(8));
    let c13 = client(&ClientSessionMemoryCache::new(8));
    let pairs = [(&c12, &s12), (&c13, &s13)];
    for (client, server) in pairs {
        assert!(!connect(client, server).resumed);
        assert!(connect(client, server).resumed, "Redis up: resumed");
    }

    // Redis killed between two connections: the stores' connections are dead. The client
    // still offers its session and a ticket; each is a full handshake, with no error, at once
    // (a refused connection costs nothing).
    redis.kill();
    let started = Instant::now();
    for (client, server) in pairs.into_iter().chain(pairs) {
        assert!(!connect(client, server).resumed);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // Redis back on the same port (empty: no persistence): the stores reconnect on their next
    // call, and resumption works again.
    let _back = Redis::start_on(port).expect("redis-server again");
    for (client, server) in pairs {
        assert!(!connect(client, server).resumed, "the new Redis is empty");
        assert!(connect(client, server).resumed);
    }
}

#[test]
fn a_redis_that_never_answers_does_not_stall_the_handshake_beyond_the_timeout() {
    // A socket that listens and never accepts: connecting succeeds (the kernel's backlog) and
    // nothing is ever answered. Not a redis-server: this test runs everywhere.
    let hung = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("listen");
    let url = format!("redis://127.0.0.1:{}/", hung.local_addr().unwrap().port());
    let timeout = Duration::from_millis(300);
    let hung_store = || {
        store(&url, HOUR)
            .with_connect_timeout(timeout)
            .with_io_timeout(timeout)
            .with_retry_after(Duration::from_secs(60))
    };
    let s12 = server(12, hung_store(), HOUR);
    let s13 = server(13, hung_store(), HOUR);
    let cache = ClientSessionMemoryCache::new(8);
    let client = client(&cache);
    // Each store's first call waits out one timeout; after it every call is a miss at once
    // for the pause. (Without the pause the six handshakes would wait 13 timeouts, 3.9 s: a
    // TLS 1.3 handshake issues two tickets, and from the second one on a ticket is offered and
    // a TLS 1.2 session ID too.) The slack is for slow, busy test machines.
    let slack = Duration::from_millis(1500);
    let started = Instant::now();
    for round in 0..3 {
        for server in [&s12, &s13] {
            let one = Instant::now();
            assert!(!connect(&client, server).resumed);
            assert!(
                one.elapsed() < timeout + slack,
                "round {round}: {:?}",
                one.elapsed()
            );
        }
    }
    assert!(
        started.elapsed() < 2 * timeout + slack,
        "six handshakes took {:?}",
        started.elapsed()
    );
    drop(hung);
}

#[test]
fn garbage_under_a_key_is_a_miss() {
    let Some(redis) = Redis::start() else { return };
    let a = server(13, store(&redis.url(), HOUR), HOUR);
    let cache = ClientSessionMemoryCache::new(8);
    let client = client(&cache);
    connect(&client, &a);
    let ticket = take_ticket(&cache);
    while cache.take_tls13("localhost").is_some() {}
    let mut inspect = redis.inspect();
    let key = format!("spectls:tls13:{}", hex(&ticket.ticket));
    // Not a Session13 encoding; then a TLS 1.2 session's encoding under a TLS 1.3 key; then a
    // value of another Redis type.
    let _: () = inspect.set(&key, b"\x03\x04garbage".as_slice()).unwrap();
    cache.put_tls13("localhost", ticket.clone());
    assert!(!connect(&client, &a).resumed);
    let s12 = server(12, store(&redis.url(), HOUR), HOUR);
    connect(&client, &s12);
    let twelve = keys(&redis, "tls12");
    let session: Vec<u8> = inspect.get(&twelve[0]).unwrap();
    let _: () = inspect.set(&key, session).unwrap();
    cache.put_tls13("localhost", ticket.clone());
    assert!(!connect(&client, &a).resumed);
    let _: () = inspect.rpush(&key, "a list").unwrap();
    cache.put_tls13("localhost", ticket);
    assert!(!connect(&client, &a).resumed);
    // And the TLS 1.2 key with garbage: a full handshake too.
    let _: () = inspect.set(&twelve[0], "garbage").unwrap();
    assert!(!connect(&client, &s12).resumed);
}

#[test]
fn servers_with_another_prefix_share_nothing() {
    let Some(redis) = Redis::start() else { return };
    let a = server(13, store(&redis.url(), HOUR).with_prefix("fleet-a:"), HOUR);
    let b = server(13, store(&redis.url(), HOUR).with_prefix("fleet-b:"), HOUR);
    let cache = ClientSessionMemoryCache::new(8);
    let client = client(&cache);
    connect(&client, &a);
    assert!(!connect(&client, &b).resumed);
    let mut inspect = redis.inspect();
    let a_keys: Vec<String> = inspect.keys("fleet-a:tls13:*").unwrap();
    let b_keys: Vec<String> = inspect.keys("fleet-b:tls13:*").unwrap();
    assert_eq!((a_keys.len(), b_keys.len()), (2, 2));
}
