//! Parse the times a responder types: `14:02`, `14:02:30`, `14:02Z`,
//! `-10m`, `-1h30m`, `10m ago`, `now`, or a full RFC 3339 timestamp.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};

/// Parse `input` relative to `now`; clock times are in `local` unless they
/// end in `Z`/`UTC`. A clock time later than now means yesterday.
pub fn parse_when(
    input: &str,
    now: DateTime<Utc>,
    local: FixedOffset,
) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.to_utc());
    }
    let rel = s
        .strip_prefix('-')
        .or_else(|| s.strip_suffix("ago").map(str::trim));
    if let Some(rel) = rel {
        let d = parse_duration(rel)?;
        return Ok(now - d);
    }
    let (clock, utc) = match s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .or_else(|| s.strip_suffix("UTC").map(str::trim))
    {
        Some(c) => (c, true),
        None => (s, false),
    };
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .map_err(|_| {
            format!("`{s}`: use 14:02, 14:02:30, 14:02Z (UTC), -10m, 1h ago or an RFC 3339 time")
        })?;
    let tz = if utc {
        FixedOffset::east_opt(0).unwrap_or(local)
    } else {
        local
    };
    let today = now.with_timezone(&tz).date_naive();
    let mut candidate = tz
        .from_local_datetime(&today.and_time(time))
        .single()
        .ok_or_else(|| format!("`{s}` is not a valid local time"))?
        .to_utc();
    if candidate > now + Duration::minutes(1) {
        candidate -= Duration::days(1);
    }
    Ok(candidate)
}

/// A note that starts with when it happened (`14:02 customer reports
/// started`, `-10m ...`, `14:02Z ...`): `Some(Ok((when, the rest)))`;
/// `Some(Err)` for a time in the future; `None` for an ordinary note (no
/// leading time, nothing after it, or a time within the last minute,
/// which is now).
pub fn backfill(
    text: &str,
    now: DateTime<Utc>,
    local: FixedOffset,
) -> Option<Result<(DateTime<Utc>, &str), String>> {
    let (head, rest) = text.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let clock = {
        let h = head.trim_end_matches(['Z', 'z']);
        let parts: Vec<&str> = h.split(':').collect();
        (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let relative = head.len() > 1
        && head.starts_with('-')
        && head[1..].bytes().next().is_some_and(|b| b.is_ascii_digit());
    if rest.is_empty() || !(clock || relative) {
        return None;
    }
    let at = match parse_when(head, now, local) {
        Ok(at) => at,
        Err(_) if relative => return None,
        Err(e) => return Some(Err(format!("{e} (or drop the time for a note of now)"))),
    };
    if at > now {
        return Some(Err(format!("{head} is in the future")));
    }
    if now - at < chrono::Duration::minutes(1) {
        return None;
    }
    Some(Ok((at, rest)))
}

/// Parse `10m`, `1h30m`, `90s`, `2h`, `45` (minutes).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(mins) = s.parse::<i64>() {
        return Ok(Duration::minutes(mins));
    }
    let mut total = Duration::zero();
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{s}`: expected a duration like 10m, 1h30m, 90s"))?;
        num.clear();
        total += match c {
            'h' => Duration::hours(n),
            'm' => Duration::minutes(n),
            's' => Duration::seconds(n),
            'd' => Duration::days(n),
            _ => return Err(format!("`{s}`: unknown unit `{c}` (use h, m, s)")),
        };
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(format!("`{s}`: expected a duration like 10m, 1h30m, 90s"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T14:30:00Z")
            .unwrap()
            .to_utc()
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn relative_times() {
        assert_eq!(
            parse_when("-10m", now(), utc()).unwrap(),
            now() - Duration::minutes(10)
        );
        assert_eq!(
            parse_when("1h30m ago", now(), utc()).unwrap(),
            now() - Duration::minutes(90)
        );
        assert_eq!(parse_when("now", now(), utc()).unwrap(), now());
    }

    #[test]
    fn clock_times_are_local_and_never_in_the_future() {
        let cet = FixedOffset::east_opt(3600).unwrap();
        // 15:02 CET is 14:02 UTC.
        assert_eq!(
            parse_when("15:02", now(), cet).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-27T14:02:00Z")
                .unwrap()
                .to_utc()
        );
        assert_eq!(
            parse_when("14:02Z", now(), cet).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-27T14:02:00Z")
                .unwrap()
                .to_utc()
        );
        // 23:50 UTC today is later than now: yesterday.
        assert_eq!(
            parse_when("23:50", now(), utc()).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-26T23:50:00Z")
                .unwrap()
                .to_utc()
        );
    }

    #[test]
    fn nonsense_is_explained() {
        let e = parse_when("lunchtime", now(), utc()).unwrap_err();
        assert!(e.contains("14:02"), "{e}");
        assert!(parse_when("-10x", now(), utc())
            .unwrap_err()
            .contains("unit"));
    }
}
