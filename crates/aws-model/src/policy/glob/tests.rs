use super::{Case, Pattern};

fn check(pattern: &str, text: &str, expect: bool) {
    assert_eq!(Pattern::wildcard(pattern).matches(text, Case::Sensitive), expect, "{pattern:?} against {text:?}");
}

fn check_ignoring_case(pattern: &str, text: &str, expect: bool) {
    assert_eq!(Pattern::wildcard(pattern).matches(text, Case::Insensitive), expect, "{pattern:?} against {text:?}");
}

fn check_arn(pattern: &str, arn: &str, expect: bool) {
    assert_eq!(Pattern::wildcard(pattern).matches_arn(arn), expect, "{pattern:?} against {arn:?}");
}

#[test]
fn wildcards_match_runs_and_single_characters() {
    check("", "", true);
    check("", "a", false);
    check("*", "", true);
    check("*", "anything/at:all", true);
    check("abc", "abc", true);
    check("abc", "abcd", false);
    check("abc", "ab", false);
    check("a*c", "ac", true);
    check("a*c", "abbbc", true);
    check("a*c", "abbbd", false);
    check("a?c", "abc", true);
    check("a?c", "ac", false);
    check("a?c", "abbc", false);
    check("??", "é!", true);
    check("*a*b*c*", "xxaxxbxxcxx", true);
    check("*a*b*c*", "xxaxxcxxbxx", false);
    check("a**b", "ab", true);
    check("*.txt", "a.txt.bak", false);
    check("Abc", "abc", false);
    check("system:serviceaccount:default:*", "system:serviceaccount:default:app", true);
    check("system:serviceaccount:default:*", "system:serviceaccount:kube-system:app", false);
}

#[test]
fn backtracking_stays_linear_on_hostile_patterns() {
    let text = "a".repeat(10_000);
    let pattern = format!("{}b", "*a".repeat(200));
    check(&pattern, &text, false);
    check(&format!("{}*", "*a".repeat(200)), &text, true);
}

#[test]
fn action_names_match_without_regard_to_case() {
    check_ignoring_case("iam:CreateRole", "IAM:createrole", true);
    check_ignoring_case("iam:Get*", "iam:getRole", true);
    check_ignoring_case("iam:Get*", "iam:ListRoles", false);
    check_ignoring_case("s3:?etObject", "s3:GetObject", true);
}

#[test]
fn arns_match_component_by_component() {
    check_arn("*", "arn:aws:s3:::bucket/key", true);
    check_arn("*", "*", true);
    check_arn("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", true);
    check_arn("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false);
    check_arn("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-logs", true);
    // A wildcard in the region or account component cannot take a colon.
    check_arn("arn:aws:ec2:*:*:instance/i-1", "arn:aws:ec2:us-east-1:x:123456789012:instance/i-1", false);
    check_arn("*:instance/i-1", "arn:aws:ec2:us-east-1:x:123456789012:instance/i-1", true);
    check_arn("arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", true);
    check_arn("arn:aws:ec2:us-*:*:instance/*", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", false);
    // The resource component spans colons and slashes.
    check_arn("arn:aws:logs:*:*:log-group:app:*", "arn:aws:logs:us-east-1:1:log-group:app:log-stream:x", true);
    check_arn("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/path/eks", true);
    check_arn("arn:aws:iam::123456789012:role/eks", "arn:aws:iam::123456789012:role/EKS", false);
    check_arn("arn:aws:iam::123456789012:role/eks", "arn:aws:iam::123456789012:role/eks", true);
    check_arn("arn:aws:iam::?????????????:root", "arn:aws:iam::123456789012:root", false);
    check_arn("arn:aws:iam::????????????:root", "arn:aws:iam::123456789012:root", true);
    // Fewer than six components in the pattern: matched as a whole.
    check_arn("arn:aws:s3:*", "arn:aws:s3:::bucket/key", true);
    check_arn("arn:aws:s3:*", "arn:aws:ec2:us-east-1:1:instance/i", false);
    check_arn("arn:aws:ec2:*:instance/i-1", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", true);
    // Fewer than six components in the ARN: no ARN pattern matches it.
    check_arn("arn:aws:s3:::*", "*", false);
    check_arn("arn:aws:s3:::*", "not an arn", false);
    check_arn("arn:*:*:*:*:*", "arn:aws:s3:::b", true);
}
