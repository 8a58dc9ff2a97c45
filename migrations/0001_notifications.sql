CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_attempt_at` integer,
	`last_status_code` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	`claim_token` text,
	`claim_until` integer
);
--> statement-breakpoint
CREATE INDEX `deliveries_due_idx` ON `deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `deliveries_subscription_idx` ON `deliveries` (`subscription_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_event_idx` ON `deliveries` (`event_id`);--> statement-breakpoint
CREATE INDEX `deliveries_claim_idx` ON `deliveries` (`claim_token`);--> statement-breakpoint
CREATE INDEX `deliveries_status_time_idx` ON `deliveries` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`job_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_job_time_idx` ON `events` (`job_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_time_idx` ON `events` (`created_at`);--> statement-breakpoint
CREATE TABLE `inbound_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`event_type` text,
	`job_id` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `inbound_events_received_idx` ON `inbound_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`events` text,
	`job_id` text,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	`disabled_reason` text
);
--> statement-breakpoint
CREATE INDEX `subscriptions_list_idx` ON `subscriptions` (`created_at`,`id`);