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
    pasteTx: 'Wallet cannot reach the network? Paste the signed transaction (base64 or hex) and the hotspot sends it.',
    signedTx: 'Signed transaction', send: 'Send', sending: 'Sending your transaction through the hotspot…',
    notInBlock: 'Sent, but not in a block yet. Try again in a minute. Transaction', resuming: 'Continuing with your channel…',
    refundNow: 'came back to your wallet: the channel is closed.', refundSoon: 'comes back to your wallet in a moment: the channel is closing.',
    refundLater: 'comes back when the channel expires, after', refundLaterHow: '(your wallet sends the refund then).',
    restOfDeposit: 'The rest of your deposit', paidOnChain: 'Paid to the hotspot',
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
    pasteTx: '钱包无法连接网络？粘贴已签名的交易（base64 或十六进制），由热点代为发送。',
    signedTx: '已签名交易', send: '发送', sending: '正在通过热点发送交易…',
    notInBlock: '已发送，但尚未上链。请稍后再试。交易', resuming: '正在继续使用您的通道…',
    refundNow: '已退回您的钱包：通道已关闭。', refundSoon: '即将退回您的钱包：通道正在关闭。',
    refundLater: '将在通道到期后退回，时间', refundLaterHow: '（届时由您的钱包发起退款）。',
    restOfDeposit: '押金余额', paidOnChain: '支付给热点',
  },
} as const;

export type Lang = keyof typeof TEXT;
export type Key = keyof typeof TEXT.en;
