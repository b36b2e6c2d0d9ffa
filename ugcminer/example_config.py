"""The commented example config written by `ugcminer init` (validated by a test)."""

EXAMPLE_CONFIG = """\
# ugcminer config. Credentials are never written here: the *_env keys name environment variables.

brands:
  - name: Acme                       # the brand as customers write it
    aliases: [AcmePhone, Acme Pay]   # other names and products to search for
    exclude: [acme corp wile]        # words/phrases that mark a false match (dropped)
    topic_mask: [Globex, RoadRunner] # product lines / other brands kept out of complaint topics
    subreddits: [acme, techsupport]  # watched besides the r/all search
    brand_subreddits: [acme]         # about the brand itself: complaint posts elsewhere must name it in the title
    youtube_queries: [acme how to, acme problem]
    official:                        # the brand's own accounts: official, not third-party
      youtube_channels: []           # channel ids (UC...)
      reddit_accounts: []            # user names without u/
    timezone: Europe/London          # for the weekly report's schedule
    # taxonomy: taxonomy.yaml        # optional: your own issue categories (see README)
    # knowledge_base: kb/            # optional: folder of Markdown/HTML articles or a CSV/JSON export

store:
  url: sqlite:///ugcminer.db         # or postgresql://user@host/db ; or set url_env: UGCMINER_STORE_URL

reddit:
  client_id_env: REDDIT_CLIENT_ID
  client_secret_env: REDDIT_CLIENT_SECRET
  user_agent: "ugcminer/0.1 (by /u/your_account)"

youtube:
  api_key_env: YOUTUBE_API_KEY
  daily_quota: 10000                 # units per day (resets at midnight Pacific)

privacy:
  pseudonym_key_env: UGCMINER_PSEUDONYM_KEY   # key for author pseudonyms
  drop_authors: false                # true: store no author at all

retention:
  youtube_days: 30                   # YouTube API policy: refresh or delete after 30 days
  reddit_days: 365

models:
  encoder:
    backend: auto                    # fastest accurate backend on this machine, measured on first use;
                                     # torch (the default: exact), openvino, onnx, onnx-int8, torch-bf16
  taxonomy_threshold: 0.2            # a category below this score is "other"
  post_heads: true                   # posts and videos: sentiment and complaint by heads fitted on labelled posts
  instructional: true                # how-to content (posts, videos, classify): a model fitted on labelled posts

reports:
  output_dir: reports_out

schedules:
  mine_cron: "0 */4 * * *"           # mining every 4 hours; analysis runs after each mine
  report_cron: "0 7 * * 1"           # Monday 07:00 in the brand's timezone
"""
