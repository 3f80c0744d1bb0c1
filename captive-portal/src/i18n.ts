/** Every string a guest sees, in English and Chinese. */
export const TEXT = {
  en: {
    plans: 'Choose a plan', choose: 'Choose', perMb: '/ MB', perMin: '/ min', minutes: 'min', quota: 'data',
    pay: 'Pay', payHint: 'Scan with your NEO wallet, or open the wallet link. The deposit is held in a payment channel: you pay only for what you use, the rest comes back.',
    openWallet: 'Open in wallet', deposit: 'Deposit', channel: 'Channel id (from your wallet)', paid: "I've paid",
    waiting: 'Waiting for the payment to confirm…', online: 'You are online', held: 'You are not online',
    timeLeft: 'Time left', dataLeft: 'Data left', used: 'Used', credit: 'Credit', spent: 'Spent',
    topup: 'Top up', topupHint: 'Your deposit is nearly used. Top up the channel from your wallet.', resume: 'Continue',
    logout: 'Log out', loggedOut: 'Logged out. You spent', terms: 'Terms of use', noPaying: 'Paying is not set up on this router yet.',
    refused: 'Refused', keyLost: 'This browser has no key for a channel. Choose a plan to pay.', unlimited: 'no limit',
  },
  zh: {
    plans: '选择套餐', choose: '选择', perMb: '/ MB', perMin: '/ 分钟', minutes: '分钟', quota: '流量',
    pay: '付款', payHint: '用 NEO 钱包扫码，或打开钱包链接。押金存入支付通道：按用量付费，余额退回。',
    openWallet: '在钱包中打开', deposit: '押金', channel: '通道编号（见钱包）', paid: '我已付款',
    waiting: '等待付款确认…', online: '已联网', held: '未联网',
    timeLeft: '剩余时间', dataLeft: '剩余流量', used: '已用', credit: '余额', spent: '已花费',
    topup: '充值', topupHint: '押金即将用完，请在钱包中为通道充值。', resume: '继续',
    logout: '退出', loggedOut: '已退出。共花费', terms: '使用条款', noPaying: '此路由器尚未开通付款。',
    refused: '被拒绝', keyLost: '此浏览器没有通道密钥。请选择套餐付款。', unlimited: '不限',
  },
} as const;

export type Lang = keyof typeof TEXT;
export type Key = keyof typeof TEXT.en;
