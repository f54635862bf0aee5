import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface RedisProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly prefix: string;
  readonly nodeType: string;
  readonly nodes: number;
}

/**
 * ElastiCache Redis for asynq: encrypted in transit (REDIS_TLS=true) and at
 * rest, with an AUTH token kept in Secrets Manager (REDIS_PASSWORD), and a
 * replica with automatic failover when nodes > 1. Nothing reaches it but the
 * security groups passed to allowFrom.
 */
export class Redis extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly authToken: secretsmanager.Secret;
  readonly host: string;
  readonly port: string;
  static readonly PORT = 6379;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.prefix} Redis: the jobs tasks only`,
      allowAllOutbound: false,
    });
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      secretName: `${props.prefix}/redis-auth-token`,
      description: `${props.prefix}: ElastiCache AUTH token (REDIS_PASSWORD)`,
      // ElastiCache accepts 16 to 128 printable characters without @, " or /.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: `${props.prefix} Redis subnets`,
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });
    const group = new elasticache.CfnReplicationGroup(this, 'Group', {
      replicationGroupDescription: `${props.prefix} asynq queues`,
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: props.nodeType,
      numCacheClusters: props.nodes,
      automaticFailoverEnabled: props.nodes > 1,
      multiAzEnabled: props.nodes > 1,
      port: Redis.PORT,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      // A dynamic reference: CloudFormation resolves it, the template never holds the token.
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: 3,
    });
    this.host = group.attrPrimaryEndPointAddress;
    this.port = group.attrPrimaryEndPointPort;
  }

  /** allowFrom lets one role's tasks reach Redis. */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(Redis.PORT), description);
  }
}
