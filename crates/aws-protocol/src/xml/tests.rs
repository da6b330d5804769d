use super::*;
use crate::RequestId;

fn check_escape(text: &str, attribute: bool, expect: &str) {
    let mut out = String::new();
    escape_into(&mut out, text, attribute);
    assert_eq!(out, expect, "{text:?}");
}

#[test]
fn text_and_attributes_are_escaped() {
    check_escape("a<b>&c", false, "a&lt;b&gt;&amp;c");
    check_escape("\"quoted\" 'x'", false, "\"quoted\" 'x'");
    check_escape("\"quoted\" 'x'", true, "&quot;quoted&quot; &apos;x&apos;");
    check_escape("line\nnext\ttab\r", false, "line\nnext\ttab&#13;");
    check_escape("line\nnext\ttab\r", true, "line&#10;next&#9;tab&#13;");
    check_escape("nul\u{0} bell\u{7} esc\u{1b}", false, "nul\u{fffd} bell\u{fffd} esc\u{fffd}");
    check_escape("\u{fffe}\u{ffff}é✓😀", false, "\u{fffd}\u{fffd}é✓😀");
    check_escape("", true, "");
    assert_eq!(escape("<&>"), "&lt;&amp;&gt;");
}

#[test]
fn builders_nest() {
    let mut xml = XmlWriter::new();
    xml.element("Role", |xml| {
        xml.text("RoleName", "a&b")
            .optional("Description", None)
            .optional("Path", Some("/"))
            .value("MaxSessionDuration", 3600)
            .timestamp("CreateDate", time::macros::datetime!(2026-11-28 00:51:19 UTC))
            .list("Tags", "member", [("k", "v")], |xml, (key, value)| {
                xml.text("Key", key).text("Value", value);
            })
            .text_list("Names", "item", ["x", "<y>"])
            .list("Empty", "member", Vec::<u8>::new(), |_, _| {});
    });
    assert_eq!(
        xml.finish(),
        "<Role><RoleName>a&amp;b</RoleName><Path>/</Path><MaxSessionDuration>3600</MaxSessionDuration>\
         <CreateDate>2026-11-28T00:51:19.000Z</CreateDate><Tags><member><Key>k</Key><Value>v</Value></member></Tags>\
         <Names><item>x</item><item>&lt;y&gt;</item></Names><Empty></Empty></Role>"
    );
}

#[test]
fn query_and_ec2_envelopes() {
    let id = RequestId::from_random_bytes([0xff; 16]);
    assert_eq!(id.as_str(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    let ns = "https://sts.amazonaws.com/doc/2011-06-15/";
    let reply = query_response("GetCallerIdentity", ns, &id, |xml| {
        xml.text("Account", "000000000000");
    });
    assert_eq!(
        reply,
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
         <Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>\
         ffffffff-ffff-4fff-bfff-ffffffffffff</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    );
    let reply = query_response_without_result("DeleteRole", "ns\"<", &id);
    assert_eq!(
        reply,
        "<DeleteRoleResponse xmlns=\"ns&quot;&lt;\"><ResponseMetadata><RequestId>ffffffff-ffff-4fff-bfff-ffffffffffff\
         </RequestId></ResponseMetadata></DeleteRoleResponse>"
    );
    let reply = ec2_response("DescribeVpcs", &id, |xml| {
        xml.list("vpcSet", "item", ["vpc-1"], |xml, id| {
            xml.text("vpcId", id);
        });
    });
    assert_eq!(
        reply,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
         <requestId>ffffffff-ffff-4fff-bfff-ffffffffffff</requestId><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet>\
         </DescribeVpcsResponse>"
    );
}
