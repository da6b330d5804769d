use super::*;

fn check(access_key_id: &str, expect: &str) {
    assert_eq!(Account::from_access_key_id(access_key_id).id(), expect, "{access_key_id:?}");
}

#[test]
fn twelve_digit_keys_are_their_own_account() {
    check("123456789012", "123456789012");
    check("000000000001", "000000000001");
    check("AKIAIOSFODNN7EXAMPLE", DEFAULT_ACCOUNT_ID);
    check("12345678901", DEFAULT_ACCOUNT_ID);
    check("1234567890123", DEFAULT_ACCOUNT_ID);
    check("12345678901a", DEFAULT_ACCOUNT_ID);
    check("١٢٣٤٥٦٧٨٩٠١٢", DEFAULT_ACCOUNT_ID);
    check("", DEFAULT_ACCOUNT_ID);
    assert_eq!(Account::default().to_string(), "000000000000");
}
