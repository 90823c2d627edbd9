//! Property tests of the identity answers: whatever numbers, strings or shapes the host sends,
//! decoding never panics and the times derived from them stay ordered and representable.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};

use super::device::DeviceSchedule;
use super::identity::{DeviceAuthorization, OAuthError, TokenAnswer};
use super::token::renewal_times;

/// What a lenient number field may hold: huge, negative, fractional, textual, null or nonsense.
fn number_like() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        any::<u64>().prop_map(|n| Value::from(n.to_string())),
        "[ -~]{0,12}".prop_map(Value::from),
        Just(Value::Null),
        Just(json!([1, 2])),
        Just(json!({ "seconds": 5 })),
    ]
}

fn maybe(field: &'static str, value: Option<Value>) -> Option<(String, Value)> {
    value.map(|value| (field.to_owned(), value))
}

proptest! {
    #[test]
    fn token_answers_never_panic_and_renewal_comes_before_expiry(
        expires_in in proptest::option::of(number_like()),
        expires in proptest::option::of(number_like()),
        refresh in proptest::option::of(number_like()),
        margin_s in 0u64..100_000,
        extra in proptest::collection::btree_map("[a-z_]{1,8}", number_like(), 0..3),
    ) {
        let mut body: serde_json::Map<String, Value> = extra.into_iter().collect();
        body.insert("access_token".into(), json!("token"));
        body.extend([maybe("expires_in", expires_in), maybe("expires", expires), maybe("refresh_token", refresh)].into_iter().flatten());
        let Ok(answer) = serde_json::from_value::<TokenAnswer>(Value::Object(body)) else { return Ok(()) };
        let now = Instant::now();
        let lifetime = answer.lifetime().map(Duration::from_secs);
        let (renew_at, expires_at) = renewal_times(now, lifetime, Duration::from_secs(margin_s));
        if lifetime.is_none() {
            prop_assert!(renew_at.is_none() && expires_at.is_none());
        }
        if let (Some(renew_at), Some(expires_at)) = (renew_at, expires_at) {
            prop_assert!(now <= renew_at && renew_at <= expires_at);
            // The margin never takes more than half of the lifetime.
            prop_assert!(renew_at - now >= (expires_at - now) / 2);
        }
        if let Some(lifetime) = lifetime {
            prop_assert_eq!(expires_at.is_some(), now.checked_add(lifetime).is_some());
        }
    }

    #[test]
    fn device_answers_never_panic_and_polling_stays_within_the_lifetime(
        interval in proptest::option::of(number_like()),
        expires_in in proptest::option::of(number_like()),
        expires in proptest::option::of(number_like()),
    ) {
        let mut body = json!({ "device_code": "d", "user_code": "U", "verification_uri": "https://id/device" });
        for (field, value) in [maybe("interval", interval), maybe("expires_in", expires_in), maybe("expires", expires)].into_iter().flatten() {
            body[field] = value;
        }
        let Ok(started) = serde_json::from_value::<DeviceAuthorization>(body) else { return Ok(()) };
        let now = Instant::now();
        let schedule = DeviceSchedule::new(now, &started);
        prop_assert!(schedule.interval <= schedule.lifetime);
        prop_assert!(schedule.interval <= Duration::from_secs(60));
        prop_assert_eq!(schedule.deadline, now.checked_add(schedule.lifetime));
    }

    #[test]
    fn identity_errors_of_any_shape_decode_or_fail_without_panic(
        error in number_like(),
        description in number_like(),
        factors in prop_oneof![number_like(), proptest::collection::vec(number_like(), 0..3).prop_map(Value::from)],
    ) {
        let body = json!({ "error": error, "error_description": description, "required_factors": factors });
        if let Ok(decoded) = serde_json::from_value::<OAuthError>(body.clone()) {
            prop_assert_eq!(Some(decoded.error.as_str()), body["error"].as_str());
        }
    }
}
