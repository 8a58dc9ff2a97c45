CREATE TABLE `dismissed_jobs` (
	`job_id` text PRIMARY KEY NOT NULL,
	`project_id` text,
	`watch_id` text,
	`dismissed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `watches` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`organization_id` text,
	`apis` text NOT NULL,
	`label` text,
	`created_at` integer NOT NULL,
	`last_scan_at` integer,
	`next_scan_at` integer NOT NULL,
	`jobs_found` integer DEFAULT 0 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`last_error_code` text,
	`last_error_message` text,
	`last_error_at` integer,
	`scan_cursor` text,
	`v2_since` integer,
	`lease_token` text,
	`lease_until` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `watches_project_idx` ON `watches` (`project_id`);--> statement-breakpoint
CREATE INDEX `watches_due_idx` ON `watches` (`next_scan_at`);--> statement-breakpoint
CREATE INDEX `watches_list_idx` ON `watches` (`created_at`,`id`);