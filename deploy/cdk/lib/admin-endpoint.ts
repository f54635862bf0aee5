import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { HTTP_PORT } from './names';
import { LoadBalancerProps } from './props';

export interface AdminEndpointProps {
  readonly vpc: ec2.IVpc;
  readonly service: ecs.FargateService;
  readonly containerName: string;
  readonly loadBalancer: LoadBalancerProps;
  readonly priority: number;
}

/** The public paths of `jobs admin`; /health/* and /metrics stay internal. */
export const ADMIN_PATHS = ['/admin', '/admin/*', '/webhooks/*'];

/** The target group's check: 503 while Postgres or Redis is unreachable. */
export const ADMIN_HEALTH_PATH = '/health/ready';

/**
 * Puts the admin service behind an HTTPS listener rule for /admin, /admin/* and
 * /webhooks/*: on a new internet-facing ALB (certificateArn), or on the
 * platform's existing ALB (listenerArn and its security group). Only the
 * ALB's security group may reach the admin tasks.
 */
export class AdminEndpoint extends Construct {
  readonly listener: elbv2.IApplicationListener;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The ALB's DNS name when this construct created it. */
  readonly dnsName?: string;

  constructor(scope: Construct, id: string, props: AdminEndpointProps) {
    super(scope, id);
    const lb = props.loadBalancer;
    if (lb.listenerArn) {
      this.listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(this, 'Listener', {
        listenerArn: lb.listenerArn,
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'AlbSecurityGroup', lb.securityGroupId!, {
          mutable: false,
        }),
      });
    } else {
      const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
        vpc: props.vpc,
        internetFacing: true,
        vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        dropInvalidHeaderFields: true,
      });
      this.dnsName = alb.loadBalancerDnsName;
      this.listener = alb.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(lb.certificateArn!)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        // Anything but the dashboard and the webhooks: /health/*, /metrics.
        defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'not found' }),
      });
    }
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Admin', {
      vpc: props.vpc,
      port: HTTP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [props.service.loadBalancerTarget({ containerName: props.containerName, containerPort: HTTP_PORT })],
      healthCheck: {
        path: ADMIN_HEALTH_PATH,
        healthyHttpCodes: '200',
        interval: cdk.Duration.seconds(15),
        timeout: cdk.Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      // A dashboard request or a webhook is short: no need for ALB's 300 s.
      deregistrationDelay: cdk.Duration.seconds(30),
    });
    this.listener.addTargetGroups('AdminRule', {
      priority: props.priority,
      conditions: [elbv2.ListenerCondition.pathPatterns(ADMIN_PATHS)],
      targetGroups: [this.targetGroup],
    });
  }
}
