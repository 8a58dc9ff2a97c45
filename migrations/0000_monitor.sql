CREATE TABLE `jobs` (
	`job_id` text PRIMARY KEY NOT NULL,
	`project_id` text,
	`organization_id` text,
	`label` text,
	`job_type` text,
	`status` text,
	`total_items` integer,
	`processed_items` integer,
	`failed_items` integer,
	`skipped_items` integer,
	`progress_percentage` real,
	`error_message` text,
	`upstream_updated_at` text,
	`upstream_job` text,
	`state` text DEFAULT 'active' NOT NULL,
	`tracked_at` integer NOT NULL,
	`last_polled_at` integer,
	`last_success_at` integer,
	`last_change_at` integer,
	`next_poll_at` integer,
	`poll_interval_seconds` integer DEFAULT 60 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`consecutive_not_found` integer DEFAULT 0 NOT NULL,
	`last_error_code` text,
	`last_error_message` text,
	`last_error_at` integer,
	`stalled_since` integer,
	`lease_token` text,
	`lease_until` integer
);
--> statement-breakpoint
CREATE INDEX `jobs_due_idx` ON `jobs` (`state`,`next_poll_at`);--> statement-breakpoint
CREATE INDEX `jobs_list_idx` ON `jobs` (`tracked_at`,`job_id`);--> statement-breakpoint
CREATE INDEX `jobs_status_list_idx` ON `jobs` (`status`,`tracked_at`,`job_id`);--> statement-breakpoint
CREATE TABLE `monitor_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer DEFAULT (unixepoch() * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`observed_at` integer NOT NULL,
	`source` text NOT NULL,
	`status` text,
	`total_items` integer,
	`processed_items` integer,
	`failed_items` integer,
	`skipped_items` integer,
	`progress_percentage` real,
	`error_message` text,
	`upstream_updated_at` text
);
--> statement-breakpoint
CREATE INDEX `snapshots_job_time_idx` ON `snapshots` (`job_id`,`observed_at`,`id`);--> statement-breakpoint
CREATE INDEX `snapshots_time_idx` ON `snapshots` (`observed_at`);--> statement-breakpoint
CREATE TABLE `ticks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`due` integer NOT NULL,
	`polled` integer NOT NULL,
	`changed` integer NOT NULL,
	`errors` integer NOT NULL,
	`rate_limited_until` integer
);
