"""Which CloudFormation resource types hold data: what a review warns about and what an upgrade keeps."""

from __future__ import annotations

# Resource types that hold data a re-creation or deletion loses.
STATEFUL_TYPES = frozenset({
    "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DocDB::DBCluster", "AWS::DocDB::DBInstance",
    "AWS::Neptune::DBCluster", "AWS::Redshift::Cluster", "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket", "AWS::S3Express::DirectoryBucket", "AWS::SQS::Queue", "AWS::Cognito::UserPool",
    "AWS::EFS::FileSystem", "AWS::FSx::FileSystem", "AWS::ECR::Repository", "AWS::CodeCommit::Repository",
    "AWS::Logs::LogGroup", "AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ServerlessCache", "AWS::MemoryDB::Cluster",
    "AWS::MSK::Cluster", "AWS::MSK::ServerlessCluster", "AWS::Kinesis::Stream", "AWS::OpenSearchService::Domain",
    "AWS::Elasticsearch::Domain", "AWS::Backup::BackupVault", "AWS::Timestream::Table", "AWS::EKS::Cluster",
    "AWS::Glacier::Vault", "AWS::SSM::Parameter",
})
