CREATE TABLE `items` (
	`job_id` text NOT NULL,
	`item_id` text NOT NULL,
	`name` text,
	`status` text NOT NULL,
	`error_message` text,
	`child_job_id` text,
	`child_type` text,
	`updated_at` text,
	`sort_at` integer NOT NULL,
	`settled` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`job_id`, `item_id`)
);
--> statement-breakpoint
CREATE INDEX `items_list_idx` ON `items` (`job_id`,`sort_at`,`item_id`);--> statement-breakpoint
CREATE INDEX `items_status_list_idx` ON `items` (`job_id`,`status`,`sort_at`,`item_id`);--> statement-breakpoint
CREATE INDEX `items_child_idx` ON `items` (`child_job_id`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `api` text DEFAULT 'v1' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `watch_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `terminal_seen_at` integer;