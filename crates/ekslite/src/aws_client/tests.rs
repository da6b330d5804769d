use super::*;

#[test]
fn xml_answers_are_read_by_element_name() {
    let xml = "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId></item><item><vpcId>vpc-2</vpcId></item></vpcSet></DescribeVpcsResponse>";
    assert_eq!(xml_values(xml, "vpcId"), ["vpc-1", "vpc-2"]);
    assert!(xml_values(xml, "subnetId").is_empty());
    assert!(xml_values("<<garbage", "vpcId").is_empty());
}
