//! The AWS managed policies that EKS users attach, present in every account as `arn:aws:iam::aws:policy/...`.
//!
//! The documents follow what AWS publishes for each policy; the longer ones keep a faithful subset of their
//! statements (the actions EKS, its nodes and its add-ons rely on), not every statement of the current version.

use super::{ManagedPolicy, PolicyVersion};

/// One catalog entry.
struct Entry {
    name: &'static str,
    path: &'static str,
    description: &'static str,
    document: &'static str,
}

/// When the catalog's policies say they were created and last updated (2020-01-01T00:00:00Z).
const CATALOG_DATE: f64 = 1_577_836_800.0;

const CATALOG: &[Entry] = &[
    Entry {
        name: "AmazonEKSClusterPolicy",
        path: "/",
        description: "This policy provides Kubernetes the permissions it requires to manage resources on your behalf. Kubernetes requires Ec2:CreateTags permissions to place identifying information on EC2 resources including but not limited to Instances, Security Groups, and Elastic Network Interfaces.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"AmazonEKSClusterPolicy","Effect":"Allow","Action":["autoscaling:DescribeAutoScalingGroups","autoscaling:UpdateAutoScalingGroup","ec2:AttachVolume","ec2:AuthorizeSecurityGroupIngress","ec2:CreateRoute","ec2:CreateSecurityGroup","ec2:CreateTags","ec2:CreateVolume","ec2:DeleteRoute","ec2:DeleteSecurityGroup","ec2:DeleteVolume","ec2:DescribeInstances","ec2:DescribeRouteTables","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVolumes","ec2:DescribeVolumesModifications","ec2:DescribeVpcs","ec2:DescribeDhcpOptions","ec2:DescribeNetworkInterfaces","ec2:DescribeAvailabilityZones","ec2:DetachVolume","ec2:ModifyInstanceAttribute","ec2:ModifyVolume","ec2:RevokeSecurityGroupIngress","ec2:DescribeAccountAttributes","ec2:DescribeAddresses","ec2:DescribeInternetGateways","ec2:DescribeInstanceTopology","elasticloadbalancing:AddTags","elasticloadbalancing:ApplySecurityGroupsToLoadBalancer","elasticloadbalancing:AttachLoadBalancerToSubnets","elasticloadbalancing:ConfigureHealthCheck","elasticloadbalancing:CreateListener","elasticloadbalancing:CreateLoadBalancer","elasticloadbalancing:CreateLoadBalancerListeners","elasticloadbalancing:CreateLoadBalancerPolicy","elasticloadbalancing:CreateTargetGroup","elasticloadbalancing:DeleteListener","elasticloadbalancing:DeleteLoadBalancer","elasticloadbalancing:DeleteLoadBalancerListeners","elasticloadbalancing:DeleteTargetGroup","elasticloadbalancing:DeregisterInstancesFromLoadBalancer","elasticloadbalancing:DeregisterTargets","elasticloadbalancing:DescribeListeners","elasticloadbalancing:DescribeLoadBalancerAttributes","elasticloadbalancing:DescribeLoadBalancerPolicies","elasticloadbalancing:DescribeLoadBalancers","elasticloadbalancing:DescribeTargetGroupAttributes","elasticloadbalancing:DescribeTargetGroups","elasticloadbalancing:DescribeTargetHealth","elasticloadbalancing:DetachLoadBalancerFromSubnets","elasticloadbalancing:ModifyListener","elasticloadbalancing:ModifyLoadBalancerAttributes","elasticloadbalancing:ModifyTargetGroup","elasticloadbalancing:ModifyTargetGroupAttributes","elasticloadbalancing:RegisterInstancesWithLoadBalancer","elasticloadbalancing:RegisterTargets","elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer","elasticloadbalancing:SetLoadBalancerPoliciesOfListener","kms:DescribeKey"],"Resource":"*"},{"Sid":"AmazonEKSClusterPolicySLRCreate","Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"elasticloadbalancing.amazonaws.com"}}},{"Sid":"AmazonEKSClusterPolicyENIDelete","Effect":"Allow","Action":"ec2:DeleteNetworkInterface","Resource":"arn:aws:ec2:*:*:network-interface/*","Condition":{"StringEquals":{"ec2:ResourceTag/eks:eni:owner":"amazon-vpc-cni"}}}]}"#,
    },
    Entry {
        name: "AmazonEKSServicePolicy",
        path: "/",
        description: "This policy allows Amazon Elastic Container Service for Kubernetes to create and manage the necessary resources to operate EKS Clusters.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:CreateNetworkInterface","ec2:CreateNetworkInterfacePermission","ec2:DeleteNetworkInterface","ec2:DescribeInstances","ec2:DescribeNetworkInterfaces","ec2:DetachNetworkInterface","ec2:ModifyNetworkInterfaceAttribute","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs","ec2:DescribeAvailabilityZones","iam:ListAttachedRolePolicies"],"Resource":"*"},{"Effect":"Allow","Action":["ec2:CreateTags","ec2:DeleteTags"],"Resource":["arn:aws:ec2:*:*:vpc/*","arn:aws:ec2:*:*:subnet/*"]},{"Effect":"Allow","Action":"route53:AssociateVPCWithHostedZone","Resource":"arn:aws:route53:::hostedzone/*"},{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:*:*:log-group:/aws/eks/*"},{"Effect":"Allow","Action":["logs:CreateLogStream","logs:DescribeLogStreams"],"Resource":"arn:aws:logs:*:*:log-group:/aws/eks/*:*"},{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:*:*:log-group:/aws/eks/*:*:*"},{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringLike":{"iam:AWSServiceName":"eks.amazonaws.com"}}}]}"#,
    },
    Entry {
        name: "AmazonEKSWorkerNodePolicy",
        path: "/",
        description: "This policy allows Amazon EKS worker nodes to connect to Amazon EKS Clusters.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"WorkerNodePermissions","Effect":"Allow","Action":["ec2:DescribeInstances","ec2:DescribeInstanceTypes","ec2:DescribeRouteTables","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVolumes","ec2:DescribeVolumesModifications","ec2:DescribeVpcs","eks:DescribeCluster","eks-auth:AssumeRoleForPodIdentity"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonEC2ContainerRegistryReadOnly",
        path: "/",
        description: "Provides read-only access to Amazon EC2 Container Registry repositories.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:GetRepositoryPolicy","ecr:DescribeRepositories","ecr:ListImages","ecr:DescribeImages","ecr:BatchGetImage","ecr:GetLifecyclePolicy","ecr:GetLifecyclePolicyPreview","ecr:ListTagsForResource","ecr:DescribeImageScanFindings"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonEKS_CNI_Policy",
        path: "/",
        description: "This policy provides the Amazon VPC CNI Plugin (amazon-vpc-cni-k8s) the permissions it requires to modify the IP address configuration on your EKS worker nodes. This permission set allows the CNI to list, describe, and modify Elastic Network Interfaces on your behalf. More information on the AWS VPC CNI Plugin is available here: https://github.com/aws/amazon-vpc-cni-k8s",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"AmazonEKSCNIPolicy","Effect":"Allow","Action":["ec2:AssignPrivateIpAddresses","ec2:AttachNetworkInterface","ec2:CreateNetworkInterface","ec2:DeleteNetworkInterface","ec2:DescribeInstances","ec2:DescribeTags","ec2:DescribeNetworkInterfaces","ec2:DescribeInstanceTypes","ec2:DescribeSubnets","ec2:DetachNetworkInterface","ec2:ModifyNetworkInterfaceAttribute","ec2:UnassignPrivateIpAddresses"],"Resource":"*"},{"Sid":"AmazonEKSCNIPolicyENITag","Effect":"Allow","Action":["ec2:CreateTags"],"Resource":["arn:aws:ec2:*:*:network-interface/*"]}]}"#,
    },
    Entry {
        name: "AmazonEKSVPCResourceController",
        path: "/",
        description: "Policy used by VPC Resource Controller to manage ENI and IPs for worker nodes.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateNetworkInterfacePermission","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"ec2:ResourceTag/eks:eni:owner":"eks-vpc-resource-controller"}}},{"Effect":"Allow","Action":["ec2:CreateNetworkInterface","ec2:DetachNetworkInterface","ec2:ModifyNetworkInterfaceAttribute","ec2:DeleteNetworkInterface","ec2:AttachNetworkInterface","ec2:UnassignPrivateIpAddresses","ec2:AssignPrivateIpAddresses"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonEBSCSIDriverPolicy",
        path: "/service-role/",
        description: "IAM Policy that allows the CSI driver service account to make calls to related services such as EC2 on your behalf.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:CreateSnapshot","ec2:AttachVolume","ec2:DetachVolume","ec2:ModifyVolume","ec2:DescribeAvailabilityZones","ec2:DescribeInstances","ec2:DescribeSnapshots","ec2:DescribeTags","ec2:DescribeVolumes","ec2:DescribeVolumesModifications"],"Resource":"*"},{"Effect":"Allow","Action":["ec2:CreateTags"],"Resource":["arn:aws:ec2:*:*:volume/*","arn:aws:ec2:*:*:snapshot/*"],"Condition":{"StringEquals":{"ec2:CreateAction":["CreateVolume","CreateSnapshot"]}}},{"Effect":"Allow","Action":["ec2:DeleteTags"],"Resource":["arn:aws:ec2:*:*:volume/*","arn:aws:ec2:*:*:snapshot/*"]},{"Effect":"Allow","Action":["ec2:CreateVolume"],"Resource":"*","Condition":{"StringLike":{"aws:RequestTag/ebs.csi.aws.com/cluster":"true"}}},{"Effect":"Allow","Action":["ec2:CreateVolume"],"Resource":"*","Condition":{"StringLike":{"aws:RequestTag/CSIVolumeName":"*"}}},{"Effect":"Allow","Action":["ec2:DeleteVolume"],"Resource":"*","Condition":{"StringLike":{"ec2:ResourceTag/ebs.csi.aws.com/cluster":"true"}}},{"Effect":"Allow","Action":["ec2:DeleteVolume"],"Resource":"*","Condition":{"StringLike":{"ec2:ResourceTag/CSIVolumeName":"*"}}},{"Effect":"Allow","Action":["ec2:DeleteSnapshot"],"Resource":"*","Condition":{"StringLike":{"ec2:ResourceTag/CSIVolumeSnapshotName":"*"}}}]}"#,
    },
    Entry {
        name: "AmazonEFSCSIDriverPolicy",
        path: "/service-role/",
        description: "Provides management access to EFS resources and read access to EC2",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowDescribe","Effect":"Allow","Action":["elasticfilesystem:DescribeAccessPoints","elasticfilesystem:DescribeFileSystems","elasticfilesystem:DescribeMountTargets","ec2:DescribeAvailabilityZones"],"Resource":"*"},{"Sid":"AllowCreateAccessPoint","Effect":"Allow","Action":["elasticfilesystem:CreateAccessPoint"],"Resource":"*","Condition":{"Null":{"aws:RequestTag/efs.csi.aws.com/cluster":"false"},"ForAllValues:StringEquals":{"aws:TagKeys":"efs.csi.aws.com/cluster"}}},{"Sid":"AllowTagNewAccessPoints","Effect":"Allow","Action":["elasticfilesystem:TagResource"],"Resource":"*","Condition":{"StringEquals":{"elasticfilesystem:CreateAction":"CreateAccessPoint"},"Null":{"aws:RequestTag/efs.csi.aws.com/cluster":"false"}}},{"Sid":"AllowDeleteAccessPoint","Effect":"Allow","Action":"elasticfilesystem:DeleteAccessPoint","Resource":"*","Condition":{"Null":{"aws:ResourceTag/efs.csi.aws.com/cluster":"false"}}}]}"#,
    },
    Entry {
        name: "AmazonSSMManagedInstanceCore",
        path: "/",
        description: "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:DescribeAssociation","ssm:GetDeployablePatchSnapshotForInstance","ssm:GetDocument","ssm:DescribeDocument","ssm:GetManifest","ssm:GetParameter","ssm:GetParameters","ssm:ListAssociations","ssm:ListInstanceAssociations","ssm:PutInventory","ssm:PutComplianceItems","ssm:PutConfigurePackageResult","ssm:UpdateAssociationStatus","ssm:UpdateInstanceAssociationStatus","ssm:UpdateInstanceInformation"],"Resource":"*"},{"Effect":"Allow","Action":["ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"},{"Effect":"Allow","Action":["ec2messages:AcknowledgeMessage","ec2messages:DeleteMessage","ec2messages:FailMessage","ec2messages:GetEndpoint","ec2messages:GetMessages","ec2messages:SendReply"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "CloudWatchAgentServerPolicy",
        path: "/",
        description: "Permissions required to use AmazonCloudWatchAgent on servers",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"CWACloudWatchServerPermissions","Effect":"Allow","Action":["cloudwatch:PutMetricData","ec2:DescribeVolumes","ec2:DescribeTags","logs:PutLogEvents","logs:PutRetentionPolicy","logs:DescribeLogStreams","logs:DescribeLogGroups","logs:CreateLogStream","logs:CreateLogGroup","xray:PutTraceSegments","xray:PutTelemetryRecords","xray:GetSamplingRules","xray:GetSamplingTargets","xray:GetSamplingStatisticSummaries"],"Resource":"*"},{"Sid":"CWASSMServerPermissions","Effect":"Allow","Action":["ssm:GetParameter"],"Resource":"arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"}]}"#,
    },
    Entry {
        name: "AmazonEKSFargatePodExecutionRolePolicy",
        path: "/",
        description: "Provides access to other AWS service resources that are required to run Amazon EKS pods on AWS Fargate.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonEKSBlockStoragePolicy",
        path: "/",
        description: "IAM Policy that allows Amazon EKS Auto Mode to manage block storage volumes on your behalf.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowDescribeActions","Effect":"Allow","Action":["ec2:DescribeAvailabilityZones","ec2:DescribeInstances","ec2:DescribeSnapshots","ec2:DescribeTags","ec2:DescribeVolumes","ec2:DescribeVolumesModifications"],"Resource":"*"},{"Sid":"AllowModifyVolume","Effect":"Allow","Action":["ec2:ModifyVolume"],"Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"aws:ResourceTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowAttachVolume","Effect":"Allow","Action":["ec2:AttachVolume","ec2:DetachVolume"],"Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"aws:ResourceTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowCreateVolume","Effect":"Allow","Action":["ec2:CreateVolume"],"Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"aws:RequestTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowDeleteVolume","Effect":"Allow","Action":["ec2:DeleteVolume"],"Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"aws:ResourceTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}}]}"#,
    },
    Entry {
        name: "AmazonEKSComputePolicy",
        path: "/",
        description: "IAM Policy that allows Amazon EKS Auto Mode to manage EC2 instances on your behalf.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowCreateFleet","Effect":"Allow","Action":["ec2:CreateFleet"],"Resource":"*","Condition":{"StringLike":{"aws:RequestTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowRunInstances","Effect":"Allow","Action":["ec2:RunInstances","ec2:CreateLaunchTemplate"],"Resource":"*","Condition":{"StringLike":{"aws:RequestTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowTerminateInstances","Effect":"Allow","Action":["ec2:TerminateInstances","ec2:DeleteLaunchTemplate"],"Resource":"*","Condition":{"StringLike":{"aws:ResourceTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowPassRole","Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}},{"Sid":"AllowDescribe","Effect":"Allow","Action":["ec2:DescribeImages","ec2:DescribeInstances","ec2:DescribeInstanceTypes","ec2:DescribeInstanceTypeOfferings","ec2:DescribeLaunchTemplates","ec2:DescribeSubnets","ec2:DescribeSecurityGroups","ec2:DescribeSpotPriceHistory","pricing:GetProducts","ssm:GetParameter"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonEKSLoadBalancingPolicy",
        path: "/",
        description: "IAM Policy that allows Amazon EKS Auto Mode to manage Elastic Load Balancers on your behalf.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowDescribe","Effect":"Allow","Action":["ec2:DescribeAccountAttributes","ec2:DescribeAddresses","ec2:DescribeAvailabilityZones","ec2:DescribeInternetGateways","ec2:DescribeVpcs","ec2:DescribeSubnets","ec2:DescribeSecurityGroups","ec2:DescribeInstances","ec2:DescribeNetworkInterfaces","ec2:DescribeTags","elasticloadbalancing:DescribeLoadBalancers","elasticloadbalancing:DescribeLoadBalancerAttributes","elasticloadbalancing:DescribeListeners","elasticloadbalancing:DescribeRules","elasticloadbalancing:DescribeTargetGroups","elasticloadbalancing:DescribeTargetGroupAttributes","elasticloadbalancing:DescribeTargetHealth","elasticloadbalancing:DescribeTags"],"Resource":"*"},{"Sid":"AllowCreateLoadBalancer","Effect":"Allow","Action":["elasticloadbalancing:CreateLoadBalancer","elasticloadbalancing:CreateTargetGroup"],"Resource":"*","Condition":{"StringLike":{"aws:RequestTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowManageLoadBalancer","Effect":"Allow","Action":["elasticloadbalancing:ModifyLoadBalancerAttributes","elasticloadbalancing:SetIpAddressType","elasticloadbalancing:SetSecurityGroups","elasticloadbalancing:SetSubnets","elasticloadbalancing:DeleteLoadBalancer","elasticloadbalancing:ModifyTargetGroup","elasticloadbalancing:ModifyTargetGroupAttributes","elasticloadbalancing:DeleteTargetGroup","elasticloadbalancing:RegisterTargets","elasticloadbalancing:DeregisterTargets"],"Resource":"*","Condition":{"StringLike":{"aws:ResourceTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}}]}"#,
    },
    Entry {
        name: "AmazonEKSNetworkingPolicy",
        path: "/",
        description: "IAM Policy that allows Amazon EKS Auto Mode to manage network resources on your behalf.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowCreateNetworkInterface","Effect":"Allow","Action":["ec2:CreateNetworkInterface"],"Resource":"arn:aws:ec2:*:*:network-interface/*","Condition":{"StringEquals":{"aws:RequestTag/eks:kubernetes-cni-node-name":"${ec2:InstanceID}"}}},{"Sid":"AllowCreateNetworkInterfaceInSubnet","Effect":"Allow","Action":["ec2:CreateNetworkInterface"],"Resource":["arn:aws:ec2:*:*:subnet/*","arn:aws:ec2:*:*:security-group/*"]},{"Sid":"AllowAssignAndUnassign","Effect":"Allow","Action":["ec2:AssignPrivateIpAddresses","ec2:UnassignPrivateIpAddresses","ec2:AssignIpv6Addresses","ec2:UnassignIpv6Addresses"],"Resource":"arn:aws:ec2:*:*:network-interface/*","Condition":{"StringLike":{"aws:ResourceTag/eks:eks-cluster-name":"${aws:PrincipalTag/eks:eks-cluster-name}"}}},{"Sid":"AllowDescribe","Effect":"Allow","Action":["ec2:DescribeNetworkInterfaces","ec2:DescribeSubnets","ec2:DescribeSecurityGroups","ec2:DescribeInstances"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonEKSServiceRolePolicy",
        path: "/aws-service-role/",
        description: "Permissions used by AmazonEKSServiceRole",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"NetworkInterfaceManagement","Effect":"Allow","Action":["ec2:CreateNetworkInterface","ec2:DeleteNetworkInterface","ec2:DetachNetworkInterface","ec2:ModifyNetworkInterfaceAttribute","ec2:DescribeInstances","ec2:DescribeNetworkInterfaces","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs","ec2:CreateNetworkInterfacePermission","iam:ListAttachedRolePolicies","ec2:CreateSecurityGroup"],"Resource":"*"},{"Sid":"CloudWatchLogs","Effect":"Allow","Action":["logs:CreateLogGroup","logs:PutRetentionPolicy","logs:CreateLogStream","logs:DescribeLogStreams","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:*:log-group:/aws/eks/*"},{"Sid":"Route53","Effect":"Allow","Action":"route53:AssociateVPCWithHostedZone","Resource":"arn:aws:route53:::hostedzone/*"}]}"#,
    },
    Entry {
        name: "AWSServiceRoleForAmazonEKSNodegroup",
        path: "/aws-service-role/",
        description: "This policy allows Amazon EKS to create and manage Nodegroups",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"SharedSecurityGroupRelatedPermissions","Effect":"Allow","Action":["ec2:RevokeSecurityGroupIngress","ec2:AuthorizeSecurityGroupEgress","ec2:AuthorizeSecurityGroupIngress","ec2:DescribeInstances","ec2:RevokeSecurityGroupEgress","ec2:DeleteSecurityGroup"],"Resource":"*","Condition":{"StringLike":{"ec2:ResourceTag/eks":"*"}}},{"Sid":"AutoscalingRelatedPermissions","Effect":"Allow","Action":["autoscaling:UpdateAutoScalingGroup","autoscaling:DeleteAutoScalingGroup","autoscaling:TerminateInstanceInAutoScalingGroup","autoscaling:CompleteLifecycleAction","autoscaling:PutLifecycleHook","autoscaling:PutNotificationConfiguration","autoscaling:EnableMetricsCollection"],"Resource":"arn:aws:autoscaling:*:*:*:autoScalingGroupName/eks-*"},{"Sid":"AllowAutoscalingToCreateSLR","Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}},{"Sid":"AllowASGCreationByEKS","Effect":"Allow","Action":["autoscaling:CreateOrUpdateTags","autoscaling:CreateAutoScalingGroup"],"Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["eks","eks:cluster-name","eks:nodegroup-name"]}}},{"Sid":"AllowPassRoleToAutoscaling","Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"autoscaling.amazonaws.com"}}},{"Sid":"AllowPassRoleToEC2","Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEqualsIfExists":{"iam:PassedToService":["ec2.amazonaws.com"]}}},{"Sid":"PermissionsToManageResourcesForNodegroups","Effect":"Allow","Action":["iam:GetRole","ec2:CreateLaunchTemplate","ec2:DescribeInstances","iam:GetInstanceProfile","ec2:DescribeLaunchTemplates","autoscaling:DescribeAutoScalingGroups","ec2:CreateSecurityGroup","ec2:DescribeLaunchTemplateVersions","ec2:RunInstances","ec2:DescribeSecurityGroups","ec2:GetConsoleOutput","ec2:DescribeRouteTables","ec2:DescribeSubnets"],"Resource":"*"},{"Sid":"PermissionsToCreateAndManageInstanceProfiles","Effect":"Allow","Action":["iam:CreateInstanceProfile","iam:DeleteInstanceProfile","iam:RemoveRoleFromInstanceProfile","iam:AddRoleToInstanceProfile"],"Resource":"arn:aws:iam::*:instance-profile/eks-*"}]}"#,
    },
    Entry {
        name: "AmazonEKSForFargateServiceRolePolicy",
        path: "/aws-service-role/",
        description: "This policy grants necessary permissions to Amazon EKS to run fargate tasks",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:CreateNetworkInterface","ec2:CreateNetworkInterfacePermission","ec2:DeleteNetworkInterface","ec2:DescribeNetworkInterfaces","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs","ec2:DescribeDhcpOptions","ec2:DescribeRouteTables"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AutoScalingServiceRolePolicy",
        path: "/aws-service-role/",
        description: "Enables access to AWS Services and Resources used or managed by Auto Scaling",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"EC2InstanceManagement","Effect":"Allow","Action":["ec2:AttachClassicLinkVpc","ec2:CancelSpotInstanceRequests","ec2:CreateFleet","ec2:CreateTags","ec2:DeleteTags","ec2:Describe*","ec2:DetachClassicLinkVpc","ec2:GetInstanceTypesFromInstanceRequirements","ec2:GetSecurityGroupsForVpc","ec2:ModifyInstanceAttribute","ec2:RequestSpotInstances","ec2:RunInstances","ec2:StartInstances","ec2:StopInstances","ec2:TerminateInstances"],"Resource":"*"},{"Sid":"EC2InstanceProfileManagement","Effect":"Allow","Action":["iam:PassRole"],"Resource":"*","Condition":{"StringLike":{"iam:PassedToService":"ec2.amazonaws.com*"}}},{"Sid":"ELBManagement","Effect":"Allow","Action":["elasticloadbalancing:Register*","elasticloadbalancing:Deregister*","elasticloadbalancing:Describe*"],"Resource":"*"},{"Sid":"CWManagement","Effect":"Allow","Action":["cloudwatch:DeleteAlarms","cloudwatch:DescribeAlarms","cloudwatch:GetMetricData","cloudwatch:PutMetricAlarm"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AWSElasticLoadBalancingServiceRolePolicy",
        path: "/aws-service-role/",
        description: "Policy that allows Elastic Load Balancing to manage AWS resources on your behalf",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeAddresses","ec2:DescribeInstances","ec2:DescribeSubnets","ec2:DescribeSecurityGroups","ec2:DescribeVpcs","ec2:DescribeInternetGateways","ec2:DescribeAccountAttributes","ec2:DescribeClassicLinkInstances","ec2:DescribeVpcClassicLink","ec2:CreateSecurityGroup","ec2:CreateNetworkInterface","ec2:DeleteNetworkInterface","ec2:ModifyNetworkInterfaceAttribute","ec2:AuthorizeSecurityGroupIngress","ec2:AssociateAddress","ec2:DisassociateAddress","ec2:AttachNetworkInterface","ec2:DetachNetworkInterface","ec2:AssignPrivateIpAddresses","ec2:AssignIpv6Addresses","ec2:UnassignIpv6Addresses","logs:CreateLogDelivery","logs:GetLogDelivery","logs:UpdateLogDelivery","logs:DeleteLogDelivery","logs:ListLogDeliveries"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonS3ReadOnlyAccess",
        path: "/",
        description: "Provides read only access to all buckets via the AWS Management Console.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AmazonS3FullAccess",
        path: "/",
        description: "Provides full access to all buckets via the AWS Management Console.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#,
    },
    Entry {
        name: "AdministratorAccess",
        path: "/",
        description: "Provides full access to AWS services and resources.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    },
    Entry {
        name: "ReadOnlyAccess",
        path: "/",
        description: "Provides read-only access to AWS services and resources.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnlyActions","Effect":"Allow","Action":["autoscaling:Describe*","cloudformation:Describe*","cloudformation:Get*","cloudformation:List*","cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents","cloudwatch:Describe*","cloudwatch:Get*","cloudwatch:List*","ec2:Describe*","ec2:Get*","ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:Describe*","ecr:Get*","ecr:List*","eks:Describe*","eks:List*","elasticfilesystem:Describe*","elasticloadbalancing:Describe*","iam:Generate*","iam:Get*","iam:List*","iam:Simulate*","kms:Describe*","kms:Get*","kms:List*","logs:Describe*","logs:FilterLogEvents","logs:Get*","logs:List*","logs:StartQuery","logs:StopQuery","logs:TestMetricFilter","route53:Get*","route53:List*","s3:Get*","s3:List*","ssm:Describe*","ssm:Get*","ssm:List*","sts:GetCallerIdentity"],"Resource":"*"}]}"#,
    },
];

/// A stable id in IAM's shape (`ANPA` + 17 characters) for a catalog policy, derived from its name.
fn catalog_id(name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // FNV-1a, then five bits per character.
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in name.bytes() {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let suffix: String = (0..17).map(|index| ALPHABET[((hash >> (index * 5)) & 31) as usize] as char).collect();
    format!("ANPA{suffix}")
}

fn arn(entry: &Entry) -> String {
    format!("arn:aws:iam::aws:policy{}{}", entry.path, entry.name)
}

fn to_policy(entry: &Entry) -> ManagedPolicy {
    ManagedPolicy {
        name: entry.name.to_owned(),
        path: entry.path.to_owned(),
        id: catalog_id(entry.name),
        arn: arn(entry),
        description: Some(entry.description.to_owned()),
        created_at: CATALOG_DATE,
        updated_at: CATALOG_DATE,
        default_version: "v1".to_owned(),
        versions: vec![PolicyVersion {
            version_id: "v1".to_owned(),
            document: entry.document.to_owned(),
            created_at: CATALOG_DATE,
        }],
        next_version: 2,
        tags: Vec::new(),
    }
}

/// The AWS managed policy with this ARN.
pub fn policy(policy_arn: &str) -> Option<ManagedPolicy> {
    CATALOG.iter().find(|entry| arn(entry) == policy_arn).map(to_policy)
}

/// Every AWS managed policy of the catalog.
pub fn policies() -> Vec<ManagedPolicy> {
    CATALOG.iter().map(to_policy).collect()
}
